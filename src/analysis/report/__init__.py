"""Running a cycle: papermill execution of the notebooks, and the HTML report built from what they recorded.

Layer 4: may import any stage.
"""
