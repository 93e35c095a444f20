"""The NLU cross-validation report of data/nlu and the digest that ties it to its inputs."""
