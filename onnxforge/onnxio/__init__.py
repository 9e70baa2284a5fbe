"""ONNX files ⇄ IR: the wire format, mapped weights, the loader and writer, import, export, opset conversion."""
