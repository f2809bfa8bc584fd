"""Benchmarks (`make bench`): pages under load, the subscription book, documents. They report; they are not
tests, and nothing in `make test` depends on the machine's speed."""
