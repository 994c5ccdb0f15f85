"""Core's HTML routes: the public start and cookie pages, staff sign-in and set-up, admin pages."""

from fastapi import APIRouter

from govplatform.core.pages import admin, admin_audit, admin_organisations, admin_services, public, setup, sign_in

router = APIRouter(include_in_schema=False)
router.include_router(public.router)
router.include_router(sign_in.router)
router.include_router(setup.router)
router.include_router(admin.router)
router.include_router(admin_audit.router)
router.include_router(admin_services.router)
router.include_router(admin_organisations.router)
