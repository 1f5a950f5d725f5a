"""Signing in and out, and who may open which customer screen."""

from __future__ import annotations

import pytest
from django.urls import reverse

from devotion.ingest.store import ingest
from devotion.people.models import Person
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def ada(make_event) -> Person:
    ingest([make_event()])
    return Person.objects.get()


def test_the_login_page_is_public_and_names_the_product(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Devotion" in body and 'name="password"' in body


def test_a_good_login_lands_on_the_customers_list(client, agent):
    response = client.post(reverse("login"), {"username": "agnes", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == reverse("customers")


def test_a_bad_login_says_so_clearly(client, agent):
    response = client.post(reverse("login"), {"username": "agnes", "password": "wrong"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "Please enter a correct username and password" in body
    assert 'role="alert"' in body


def test_logout_is_a_post_that_returns_to_login(login, agent):
    client = login(agent)
    assert client.get(reverse("logout")).status_code == 405
    response = client.post(reverse("logout"))
    assert response.status_code == 302 and response["Location"] == reverse("login")
    assert client.get(reverse("customers")).status_code == 302


def test_the_home_page_redirects_to_customers(login, agent):
    response = login(agent).get("/")
    assert response.status_code == 302 and response["Location"] == reverse("customers")


@pytest.mark.parametrize("name", ["customers", "customer", "merge-search"])
def test_anonymous_visitors_are_sent_to_login_with_next(client, ada, name):
    url = reverse(name) if name == "customers" else reverse(name, args=[ada.pk])
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={url}"


@pytest.mark.parametrize("name", ["customers", "customer", "merge-search", "home"])
def test_a_user_without_a_staff_role_gets_403_everywhere(login, outsider, ada, name):
    url = reverse(name, args=[ada.pk]) if name in ("customer", "merge-search") else reverse(name)
    client = login(outsider)
    response = client.get(url, follow=True)
    assert response.status_code == 403


@pytest.mark.parametrize("persona", ["agent", "manager", "admin_user"])
def test_every_staff_role_sees_the_customer_screens(request, login, ada, persona):
    client = login(request.getfixturevalue(persona))
    assert client.get(reverse("customers")).status_code == 200
    assert client.get(reverse("customer", args=[ada.pk])).status_code == 200


def test_a_superuser_without_a_staff_row_is_an_admin(login, ada, django_user_model):
    root = django_user_model.objects.create_superuser("root", "root@x.example", PASSWORD)
    body = login(root).get(reverse("customer", args=[ada.pk])).content.decode()
    assert "Erase person" in body
