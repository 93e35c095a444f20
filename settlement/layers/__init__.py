"""One module per fund. Each layer is a function (Context) -> Layer | None (None: not computed)."""
