// Integration tests against ibsim.
