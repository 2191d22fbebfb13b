"""Data comparison's actions and scopes, registered with the one policy.

Who sees what (issue #8): department datasets hold personal data of whole counties, so
the office works them alone:
- the office imports datasets for the areas its grants cover, runs the rule library and
  judges findings (``datacheck.change``); reading findings and evidence rows is
  ``datacheck.view``, and every read of a finding is audited;
- the office links lists of people and accepts or rejects the pairs under review
  (``datacheck.change``); reading pairs is ``datacheck.view``, audited as findings are;
- the office writes its own rules and sets the parameters of shipped ones
  (``datacheck.rules``); a rule an office wrote is seen by that office and the offices
  above it, the shipped library by every office.
Teams meet findings once they become problems or clues (issue #5), under that registry's
rules.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from xuncha.core import policy
from xuncha.core.models import Role

DATACHECK_VIEW = "datacheck.view"
DATACHECK_CHANGE = "datacheck.change"  # import, run, judge, turn into clues
DATACHECK_RULES = "datacheck.rules"  # write rules, set parameters

ROLES = {Role.OFFICE_STAFF: {DATACHECK_VIEW, DATACHECK_CHANGE, DATACHECK_RULES}}


def _rule_scope(paths: list[str], user: Any) -> Q:
    return Q(organisation__isnull=True) | policy.path_q("organisation__path", paths)


def register() -> None:
    from xuncha.datacheck import models as m

    policy.extend_roles({str(role): actions for role, actions in ROLES.items()})
    policy.register_scope(m.Dataset, lambda paths, user: policy.path_q("organisation__path", paths))
    policy.register_scope(
        m.Version, lambda paths, user: policy.path_q("dataset__organisation__path", paths)
    )
    policy.register_scope(m.Run, lambda paths, user: policy.path_q("organisation__path", paths))
    policy.register_scope(m.Finding, lambda paths, user: policy.path_q("organisation__path", paths))
    policy.register_scope(m.Rule, _rule_scope)
    policy.register_scope(
        m.HeaderAlias, lambda paths, user: policy.path_q("organisation__path", paths)
    )
    # Record linkage: a run and its pairs belong to the run's area; a decision to the
    # county it is kept for.
    policy.register_scope(m.LinkRun, lambda paths, user: policy.path_q("area__path", paths))
    policy.register_scope(m.LinkPair, lambda paths, user: policy.path_q("run__area__path", paths))
    policy.register_scope(m.LinkDecision, lambda paths, user: policy.path_q("area__path", paths))
