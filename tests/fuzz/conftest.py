"""The fuzz suite fills URLs with the access matrix's objects."""
from tests.test_access_matrix import url_values  # noqa: F401 - a fixture
