"""Team: the members and their roles. An admin adds, changes and removes them; everyone
else sees who is on the team."""

from __future__ import annotations

import streamlit as st

from coauthor.schemas.team import Action, Role
from coauthor.ui import common, resources

ROLES = [r.value for r in Role]


def main() -> None:
    st.title("Team")
    store = resources.store()
    with common.errors():
        if not store.team_mode():
            st.info(
                "Single-user mode: this database has no members, so whoever runs the studio "
                f"may do everything. Adding the first member makes it a team database, with "
                f"you ({store.user}) as its admin."
            )
            add_form()
            return
        role = store.role()
        st.caption(f"You are {store.user} ({role.value}).")
        admin = store.may(Action.admin)
        for user in store.users():
            member(user.name, user.role, user.display_name, admin=admin)
        if admin:
            st.divider()
            add_form()
        else:
            st.caption("Only an admin adds members and changes roles.")


def member(name: str, role: Role, display_name: str, *, admin: bool) -> None:
    cols = st.columns([3, 2, 1, 1])
    cols[0].markdown(f"**{name}**" + (f" · {display_name}" if display_name else ""))
    if not admin:
        cols[1].markdown(role.value)
        return
    chosen = cols[1].selectbox(
        f"Role of {name}",
        ROLES,
        index=ROLES.index(role.value),
        key=f"team_role_{name}",
        label_visibility="collapsed",
    )
    if cols[2].button("Save", key=f"team_save_{name}", disabled=chosen == role.value):
        with common.errors("change the role"):
            resources.store().set_role(name, Role(chosen))
            common.flash(f"{name} is now {chosen}.")
            st.rerun()
    if cols[3].button("Remove", key=f"team_remove_{name}"):
        with common.errors("remove the member"):
            resources.store().remove_user(name)
            common.flash(f"{name} removed.")
            st.rerun()


def add_form() -> None:
    with st.form("team_add", clear_on_submit=True):
        st.subheader("Add a member")
        name = st.text_input("Sign-in name", key="team_new_name")
        display = st.text_input("Full name", key="team_new_display")
        role = st.selectbox("Role", ROLES, key="team_new_role")
        if st.form_submit_button("Add", type="primary"):
            with common.errors("add the member"):
                added = resources.store().add_user(name, Role(role), display_name=display)
                common.flash(f"{added.name} added as {added.role.value}.")
                st.rerun()


common.page(main)
