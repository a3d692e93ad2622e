"""Operation-log wording: every `operation_detail` shape Zoom is known to produce.

Zoom's detail text is free-form; the quirks below are deliberate because parsers
break on them: two spaces before the first dash, several changes joined by " - ",
hyphens inside values, empty "set to" values, trailing spaces, details with no
change list, and the lower-case style of Zoom's own API example.
Each template returns (category_type, action, operation_detail, scim).
"""

from __future__ import annotations

import random

from .account import DOMAIN, Account

_ONOFF = ("On", "Off")

_SECURITY = [
    "Sign in with Two-Factor Authentication",
    "Require that all meetings are secured with one security option",
    "Automatically sign users out after a specified time",
    "Require a passcode when scheduling new meetings",
    "Waiting Room",
    "Only authenticated users can join meetings",
    "Embed passcode in invite link for one-click join",
    "Allow users to change their name",
]
_SIGN_IN_METHODS = ["Google", "Apple ID", "Facebook", "Microsoft"]
_PASSWORD_RULES = [
    "Include at least 1 letter",
    "Include at least 1 number",
    "Include both uppercase and lowercase characters",
    "Include at least 1 special character",
    "Cannot contain consecutive characters",
]
_MEETING_SECTIONS = {
    "In Meeting (Basic)": ["Chat", "File transfer", "Screen sharing", "Allow removed participants to rejoin"],
    "In Meeting (Advanced)": ["Far end camera control", "Waiting room", "Allow livestreaming of meetings"],
    "Schedule Meeting": ["Join before host", "Mute participants upon entry", "Personal Meeting ID (PMI)"],
    "Recording": ["Cloud recording", "Automatic recording", "Local recording"],
    "Email Notification": ["When a cloud recording is available", "When attendees join meeting before host"],
}
_GROUPS = [
    "Engineering",
    "Sales",
    "Recruiting",
    "Support",
    "Finance",
    "Marketing",
    "Legal",
    "São Paulo Office",
    "Co-Op Interns",
    "Sign-Off Reviewers",
]
_CHANNELS = ["General", "Incident-Response", "Sales Team", "TestGroupChannel1", "Design Reviews"]
_TITLES = ["Contractor", "Senior Engineer", "Account Executive", "Vice-President, Sales", "Analyst", "Co-Founder"]
_DEPARTMENTS = ["Sales", "Marketing", "R&D", "Customer Success", "Finance", "Human Resources"]
_PRIVILEGED = ["Admin", "Co-Owner", "Billing Admin", "Owner"]
_ROLES = ["Help Desk", "Auditor", "Zoom Rooms Admin", "Read-Only Admin"]
_ROOMS = ["NYC-12F Boardroom", "LON Huddle 3", "TYO Training", "SFO All-Hands"]
_TOPICS = ["Weekly Sync", "Q3 Planning", "Customer Call - Contoso", "All-Hands", "1:1"]
_PLANS = ["Zoom Webinars 500", "Large Meetings 1000", "Cloud Recording 3TB", "Zoom Rooms"]


def _other_user(rng: random.Random, acct: Account) -> str:
    return rng.choice(acct.users).email


def _new_hire(rng: random.Random) -> str:
    first = rng.choice(["alex", "sam", "kim", "noor", "li", "jo"])
    last = rng.choice(["reyes", "ng", "berg", "osei", "ruiz"])
    return f"{first}.{last}{rng.randint(1, 99)}@{DOMAIN}"


def _flip(rng: random.Random) -> tuple[str, str]:
    # Weakening (On -> Off) is the commoner admin change in the wild samples.
    return ("On", "Off") if rng.random() < 0.6 else ("Off", "On")


def security_toggle(rng, acct):
    a, b = _flip(rng)
    return "Account", "Update", f"Security  - {rng.choice(_SECURITY)}: from {a} to {b}", False


def sign_in_method(rng, acct):
    a, b = ("Off", "On") if rng.random() < 0.7 else ("On", "Off")
    method = rng.choice(_SIGN_IN_METHODS)
    return "Account", "Update", f"Sign-in Methods  - Allow users to sign in with {method}: from {a} to {b}", False


def password_policy(rng, acct):
    changes = []
    if rng.random() < 0.7:
        old = rng.choice([8, 10, 12, 14])
        new = rng.choice([n for n in (6, 8, 10, 12, 14, 16) if n != old])
        changes.append(f"Have at least specified length of characters: from {old} to {new}")
    for rule in rng.sample(_PASSWORD_RULES, rng.randint(1 if changes else 2, 3)):
        a, b = _flip(rng)
        changes.append(f"{rule}: from {a} to {b}")
    return "Account", "Update", "Sign-In Password Requirement  - " + " - ".join(changes), False


def audio_quality(rng, acct):
    a, b = rng.sample([20, 40, 64, 128, 200], 2)
    detail = f"Quality Settings - Audio  - Receive Bitrate: from {a} to {b} - Send Bitrate: from {a} to {b}"
    return "Account", "Update", detail, False


def meeting_setting(rng, acct):
    section = rng.choice(list(_MEETING_SECTIONS))
    a, b = _flip(rng)
    return "Account", "Update", f"{section}  - {rng.choice(_MEETING_SECTIONS[section])}: from {a} to {b}", False


def recording_retention(rng, acct):
    a, b = rng.sample([30, 60, 90, 180, 365], 2)
    detail = f"Recording  - Delete cloud recordings after a specified number of days: from {a} to {b}"
    return "Account", "Update", detail, False


def account_set_to(rng, acct):
    detail = rng.choice(
        [
            "Account Profile  - Account Name: set to Example Corp",
            "Meeting  - Custom Data Center Regions: set to US, EU - Allow specified domains: set to ",
            "Security  - Blocked domains: set to  - Allow users to join from: set to All",
        ]
    )
    return "Account", "Update", detail, False


def group_setting(rng, acct):
    a, b = _flip(rng)
    group = rng.choice(_GROUPS)
    return "User Group", "Update", f"Edit Group {group}  - Personal Meeting ID (PMI) Passcode: from {a} to {b}", False


def group_add(rng, acct):
    verb = "Add" if rng.random() < 0.7 else "Delete"
    return "User Group", verb, f"{verb} Group {rng.choice(_GROUPS)}", False


def group_edit_bare(rng, acct):
    return "User Group", "Update", f"Edit Group {rng.choice(_GROUPS)} ", False


def change_role(rng, acct):
    if rng.random() < 0.7:
        a, b = rng.choice(["Member", "User"]), rng.choice(_PRIVILEGED)
    else:
        a, b = rng.choice(_PRIVILEGED[:3]), "Member"
    return "User", "Batch Update", f"Change Role  - {_other_user(rng, acct)}: from {a} to {b}", False


def update_user_role(rng, acct):
    a, b = ("Member", "Admin") if rng.random() < 0.7 else ("Admin", "Member")
    return "User", "Update", f"Update User {_other_user(rng, acct)}  - User Role: from {a} to {b}", False


def scim_update(rng, acct):
    email = _other_user(rng, acct)
    if rng.random() < 0.6:
        a, b = ("Basic", "Licensed") if rng.random() < 0.7 else ("Licensed", "Basic")
        detail = f"Edit User {email}  - Change Type: from {a} to {b}"
    else:
        department, title = rng.choice(_DEPARTMENTS), rng.choice(_TITLES)
        detail = f"Edit User {email}  - Department: set to {department} - Job Title: set to {title}"
    return "User", "SCIM API - Update", detail, True


def user_set_to(rng, acct):
    email = _other_user(rng, acct)
    if rng.random() < 0.6:
        detail = f"Update User {email}  - Job Title: set to {rng.choice(_TITLES)}"
    else:
        a, b = rng.sample(_DEPARTMENTS, 2)
        detail = f"Update User {email}  - Job Title: set to  - Department: from {a} to {b}"
    return "User", "Update", detail, False


def add_user(rng, acct):
    kind = rng.choice(["Basic", "Licensed"])
    email, department = _new_hire(rng), rng.choice(_DEPARTMENTS)
    return "User", "Add", f"Add User {email}  - User Type: {kind} - Department: {department}", False


def activate_user(rng, acct):
    verb = "Activate" if rng.random() < 0.5 else "Deactivate"
    return "User", "Update", f"{verb} User {_other_user(rng, acct)} ", False


def delete_user(rng, acct):
    return "User", "Delete", f"Delete User {_new_hire(rng)} ", False


def delete_user_lower(rng, acct):
    # The lower-case style of Zoom's own API example.
    return "user", "delete", f"delete user - {_new_hire(rng)}", False


def channel_admin(rng, acct):
    return "Channels", "Update", f"Assign admin for channel {rng.choice(_CHANNELS)}  - {_other_user(rng, acct)}", False


def channel_rename(rng, acct):
    a, b = rng.sample(_CHANNELS, 2)
    detail = f"Update a Channel {b}  - Cloud Storage Retention: set to  - Name: from {a} to {b}"
    return "Channels", "Update", detail, False


def delete_recording(rng, acct):
    meeting = rng.randint(81_000_000_000, 89_999_999_999)
    return "Recording", "Delete", f"Delete Recording  - Topic: {rng.choice(_TOPICS)} - Meeting ID: {meeting}", False


def role_change(rng, acct):
    role = rng.choice(_ROLES)
    r = rng.random()
    if r < 0.3:
        return "Role", "Add", f"Add Role {role}", False
    if r < 0.4:
        return "Role", "Delete", f"Delete Role {role} ", False
    a, b = ("View", "Edit") if rng.random() < 0.7 else ("Edit", "View")
    detail = f"Edit Role {role}  - Account Settings: from {a} to {b} - Recording Management: from Off to On"
    return "Role", "Update", detail, False


def zoom_room(rng, acct):
    a, b = _flip(rng)
    room = rng.choice(_ROOMS)
    return "Zoom Rooms", "Update", f"Edit Room {room}  - Auto Accept Meeting Invites: from {a} to {b}", False


def billing(rng, acct):
    if rng.random() < 0.5:
        plan, old, new = rng.choice(_PLANS), rng.randint(1, 3), rng.randint(4, 9)
        return "Billing", "Update", f"Update Plan  - {plan}: from {old} to {new}", False
    old, new = _other_user(rng, acct), _other_user(rng, acct)
    return "Billing", "Update", f"Billing Contact  - Email: from {old} to {new}", False


def user_settings(rng, acct):
    a, b = _flip(rng)
    section = rng.choice(list(_MEETING_SECTIONS))
    email, setting = _other_user(rng, acct), rng.choice(_MEETING_SECTIONS[section])
    return "User Settings", "Update", f"Edit User Settings {email}  - {section}  - {setting}: from {a} to {b}", False


def im_group(rng, acct):
    return "IM", "Update", f"Edit IM Group {rng.choice(_GROUPS)}  - Members: set to {rng.randint(2, 40)}", False


def webinar(rng, acct):
    a, b = _flip(rng)
    return "Webinar", "Update", f"Update Webinar {rng.choice(_TOPICS)}  - Registration: from {a} to {b}", False


def sub_account(rng, acct):
    return "Sub Account", "Add", f"Add Sub Account Example {rng.choice(['EMEA', 'APAC', 'LATAM'])} ", False


def phone_contact(rng, acct):
    return "Phone Contacts", "Add", f"Add Contact {rng.choice(['Front Desk', 'IT Hotline', 'Security Desk'])} ", False


# (template, relative weight). Rare shapes still get ~1% so a month of a small
# account shows every one of them.
TEMPLATES = [
    (security_toggle, 9),
    (sign_in_method, 3),
    (password_policy, 3),
    (audio_quality, 2),
    (meeting_setting, 9),
    (recording_retention, 2),
    (account_set_to, 2),
    (group_setting, 4),
    (group_add, 2),
    (group_edit_bare, 2),
    (change_role, 3),
    (update_user_role, 2),
    (scim_update, 7),
    (user_set_to, 5),
    (add_user, 4),
    (activate_user, 4),
    (delete_user, 2),
    (delete_user_lower, 1.5),
    (channel_admin, 2),
    (channel_rename, 1.5),
    (delete_recording, 6),
    (role_change, 2),
    (zoom_room, 2),
    (billing, 1.5),
    (user_settings, 5),
    (im_group, 1),
    (webinar, 1),
    (sub_account, 1),
    (phone_contact, 1),
]
CUM_WEIGHTS = []
_total = 0.0
for _, _w in TEMPLATES:
    _total += _w
    CUM_WEIGHTS.append(_total)
TEMPLATE_FUNCS = [t for t, _ in TEMPLATES]

# Display-case categories and the snake_case filter value each answers to.
CATEGORY_FILTERS = (
    "all",
    "user",
    "user_settings",
    "account",
    "billing",
    "im",
    "recording",
    "phone_contacts",
    "webinar",
    "sub_account",
    "role",
    "zoom_rooms",
)


def category_key(category_type: str) -> str:
    return category_type.lower().replace(" ", "_")
