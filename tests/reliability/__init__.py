"""Reliability and security tests: fault matrix, stream resumption, load, hostile input, secrets."""
