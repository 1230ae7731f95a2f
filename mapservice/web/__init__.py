"""Flask blueprints, one module per part of the web surface. Every module here that defines ``blueprint``
is registered by ``create_app`` (so a new part of the site is one new module)."""
import importlib
import pkgutil


def blueprints():
    """The blueprints of this package's modules, in module-name order."""
    found = []
    for module_info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        if hasattr(module, "blueprint"):
            found.append(module.blueprint)
    return found
