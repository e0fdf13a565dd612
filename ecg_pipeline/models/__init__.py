"""Models: the CNN and CRNN architectures and their training, the measurement model, inference on a page,
lead aggregation, Grad-CAM, metrics and the headline verdict."""
