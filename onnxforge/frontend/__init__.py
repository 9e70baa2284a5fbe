"""Front ends: models that are not ONNX files yet (a PyTorch ``nn.Module``), made into tagged ONNX."""
