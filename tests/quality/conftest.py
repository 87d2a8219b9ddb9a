"""Fixtures of the data-quality tests: the generated sample as the text its CSV files hold."""

from __future__ import annotations

import pandas as pd
import pytest
from quality_support import AS_OF, Text

from saccr_pipeline.extracts import write_extracts
from saccr_pipeline.sample.generate import generate


@pytest.fixture(scope="session")
def sample_text(tmp_path_factory: pytest.TempPathFactory) -> Text:
    """200 generated trades in 20 netting sets, as text (every cell a string, "" when empty)."""
    folder = tmp_path_factory.mktemp("generated")
    paths = write_extracts(generate(AS_OF, 200, 20, seed=11), folder)
    return {e: pd.read_csv(p, dtype=str, keep_default_na=False) for e, p in paths.items()}
