"""RM-RF (arXiv 2601.13097): predict, without running anything, whether a unit test compiles and passes, raises
coverage, and raises the mutation score."""
