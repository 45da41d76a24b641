"""Face preprocessing: detection, alignment, de-duplication and face embeddings.

The folder job behind `facegan data faces` lives in `pipeline.py`; the steps it chains are small
modules usable on their own (`detect`, `align`, `dedupe`, `embed`, `crop`). Importing this
package does not import dlib: the optional extra `faces` is only needed once a dlib model is used.
"""
