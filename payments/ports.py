"""What payments calls on the catalogue: its departments (for payee units) and services (for fees)."""
from __future__ import annotations

from typing import Protocol

from payments.clearing import Departments
from payments.fees import Services


class Catalogue(Departments, Services, Protocol):
    """The departments and services of the catalogue."""
