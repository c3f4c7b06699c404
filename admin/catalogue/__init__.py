"""Console part ``catalogue`` (see admin/__init__.py): 事项目录, the centre's published service items."""

from __future__ import annotations

from flask_admin import Admin
from flask_babel import lazy_gettext as _l


def register(admin: Admin) -> None:
    """Add the catalogue's view to the console (menu 配置 → 事项目录)."""
    from admin.catalogue.views import CatalogueView, json_pretty

    assert admin.app is not None
    admin.app.jinja_env.filters["catalogue_json"] = json_pretty
    admin.add_view(
        CatalogueView(name=_l("事项目录"), category=_l("配置"), endpoint="catalogue", url="/admin/catalogue")
    )
