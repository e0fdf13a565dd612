"""ECG image classifier dashboard: ``streamlit run app.py``."""

import streamlit as st

from dashboard.state import keep_keras_state_between_runs

st.set_page_config(page_title="ECG image classifier", page_icon=":material/monitor_heart:", layout="wide")
keep_keras_state_between_runs()

page = st.navigation([
    st.Page("pages/analyze.py", title="Analyze", icon=":material/monitor_heart:", default=True),
    st.Page("pages/explorer.py", title="Pipeline explorer", icon=":material/school:"),
    st.Page("pages/comparison.py", title="Model comparison", icon=":material/compare:"),
    st.Page("pages/batch.py", title="Batch", icon=":material/table_view:"),
    st.Page("pages/about.py", title="Classes and models", icon=":material/info:"),
])
st.sidebar.caption("**Not a medical device.** A research and teaching prototype: do not use it for diagnosis.")
page.run()
