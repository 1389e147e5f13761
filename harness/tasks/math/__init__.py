"""Math word-problem and competition tasks: AIME 2024/2025, MATH-500, GSM8K, GSM-Hard, SVAMP, MultiArith."""
