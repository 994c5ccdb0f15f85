"""The dependency every component's admin pages start from: the signed-in staff member of the request.

One function rather than one per component, so how a staff member is found (the web shell's `staff_auth`, set
when the app is built) is decided in one place for notify's, pay's and identity's pages alike.
"""

from __future__ import annotations

from starlette.requests import Request

from govplatform.core.people import StaffAuth, StaffMember


async def staff_member(request: Request) -> StaffMember:
    """A FastAPI dependency: the signed-in staff member; raises SignInRequired (the shell redirects to sign in)."""
    auth: StaffAuth = request.app.state.staff_auth
    return await auth(request)
