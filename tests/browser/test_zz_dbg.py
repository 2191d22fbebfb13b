import pytest
from tests.browser.conftest import browser_db
pytestmark=[pytest.mark.browser, browser_db]

def test_a(live_server):
    from xuncha.core.models import User, Organisation
    print("A", User.objects.count(), Organisation.objects.count())

def test_b(live_server):
    from xuncha.core.models import User, Organisation
    from django.db import connection
    print("B", User.objects.count(), Organisation.objects.count(), hasattr(connection, "_test_serialized_contents"))
