"""The directory of units and people: who exists, in which unit, with which role, and how she signs in.

`people` keeps users, units and absences; `profile` what a user changes about herself; `tokens` API tokens;
`signin` the sign-in throttle; `editing` the administrator's changes; `imports` an Excel file applied all or
nothing; `views` lists, options and the Excel template and export; `xlsx` the workbook layout; `rules` the checks
that editing and importing share; `naming` how pages name people and order units (№2 before №10).
"""
from .editing import (add_membership, claimed_count, deactivate_user, get_unit, get_user, reactivate_user,
                      remove_membership, save_unit, save_user)
from .imports import ImportRefused, import_directory
from .naming import natural_key, people_names, person_name, unit_names
from .people import (absences, authenticate, deactivate, end_absence, ensure_unit, ensure_user, set_absence,
                     user_by_login)
from .profile import colleagues, end_my_absence, set_my_absence, set_preferences
from .rules import KIND_LABELS, KINDS
from .tokens import (InvalidToken, check_token, create_token, revoke_token, token_status, tokens_of,
                     user_for_token)
from .views import (SECTIONS, STATES, export_bytes, find_users, role_options, template_bytes, unit_members,
                    unit_options, unit_sections, user_history)

__all__ = [
    "add_membership", "claimed_count", "deactivate_user", "get_unit", "get_user", "reactivate_user",
    "remove_membership", "save_unit", "save_user",
    "ImportRefused", "import_directory",
    "natural_key", "people_names", "person_name", "unit_names",
    "absences", "authenticate", "deactivate", "end_absence", "ensure_unit", "ensure_user", "set_absence",
    "user_by_login",
    "colleagues", "end_my_absence", "set_my_absence", "set_preferences",
    "KIND_LABELS", "KINDS",
    "InvalidToken", "check_token", "create_token", "revoke_token", "token_status", "tokens_of", "user_for_token",
    "SECTIONS", "STATES", "export_bytes", "find_users", "role_options", "template_bytes", "unit_members",
    "unit_options", "unit_sections", "user_history",
]
