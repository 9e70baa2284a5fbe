"""Read-only analyses of the IR: symbolic shapes, the node view, forensics and the architecture fingerprint."""
