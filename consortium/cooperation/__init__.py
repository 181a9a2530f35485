"""Cooperation between member libraries: inter-library loan requests (:mod:`~consortium.cooperation.service`),
their rules (:mod:`~consortium.cooperation.rules`), store port and reader notices."""

from __future__ import annotations

from consortium.cooperation.models import Balance, LoanMove, LoanRequest, LoanState, LoanStep, NewLoanRequest, Side

__all__ = ["Balance", "LoanMove", "LoanRequest", "LoanState", "LoanStep", "NewLoanRequest", "Side"]
