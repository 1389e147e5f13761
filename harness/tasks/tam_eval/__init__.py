"""TAM-Eval (arXiv 2601.18241): unit-test creation, repair and update, scored by execution, coverage and mutation."""
