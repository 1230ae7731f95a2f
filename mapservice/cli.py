"""The `mapservice` command: init, import-boundaries, import-projects, import-budgets, sample, build-artefacts, locate,
report, serve, users, versions, rollback."""
import argparse
import getpass
import json
import logging
import sys
import traceback
from pathlib import Path

from mapservice.config import ConfigError, load_config
from mapservice.formats.csv_cells import csv_writer
from mapservice.formats.located import write_located_csv
from mapservice.ingest import budget_pipeline, drafts, pipelines
from mapservice.ingest.points import read_points_csv
from mapservice.ingest.records import SourceError
from mapservice.read import quality
from mapservice.read.drafts import versions as list_versions
from mapservice.read.locate import locate_rows
from mapservice.store import accounts, tables
from mapservice.store.locks import ImportLocked
from mapservice.store.db import create_db_engine, init_schema, make_session_factory

logger = logging.getLogger(__name__)


def positive_int(text):
    """An argument that must be a whole number of 1 or more (argparse says which and exits 2 otherwise)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f'"{text}" is not a whole number') from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not 1 or more")
    return value


def build_parser():
    parser = argparse.ArgumentParser(prog="mapservice", description=__doc__)
    parser.add_argument("--database-url", help="overrides DATABASE_URL")
    parser.add_argument("-v", "--verbose", action="store_true", help="log at DEBUG level")
    parser.add_argument("--debug", action="store_true", help="on an unexpected error, print the whole traceback")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("init", help="create the schema")
    boundaries = commands.add_parser("import-boundaries", help="import province, district and commune boundaries")
    boundaries.add_argument("--preset", default="ncdd2014", help="field names of a known layout: ncdd2014 or ocha")
    boundaries.add_argument("--level", choices=["province", "district", "commune"], help="import one level only")
    boundaries.add_argument("--file", help="the file of that level (GeoJSON, GeoPackage, Shapefile)")
    boundaries.add_argument("--code-field", help="field holding the NCDD code or KH p-code")
    boundaries.add_argument("--name-en-field", help="field holding the Latin name")
    boundaries.add_argument("--name-km-field", help="field holding the Khmer name")
    projects = commands.add_parser("import-projects", help="import a file of project records as one batch")
    projects.add_argument("file")
    projects.add_argument("--format", choices=["template", "oc4ids", "pid"], help="default: from the file")
    projects.add_argument("--skip-invalid", action="store_true", help="load the valid rows, report the rest")
    projects.add_argument("--year", type=int, help="fiscal year of a PID report")
    projects.add_argument("--province", help="province code of a PID report (resolves commune names)")
    projects.add_argument("--rejected-json", help="also write the rejected rows to this JSON file (the reasons of "
                          "the first 10,000 invalid rows)")
    budgets = commands.add_parser("import-budgets", help="import a file of district/commune budgets as one batch "
                                  "(docs/budget-template.md)")
    budgets.add_argument("file")
    budgets.add_argument("--skip-invalid", action="store_true", help="load the valid area-years, report the rest")
    budgets.add_argument("--sheet", help="the XLSX sheet (default: the one named budgets, else the first)")
    budgets.add_argument("--rejected-json", help="also write the rejected rows to this JSON file")
    sample = commands.add_parser("sample", help="generate and load the SAMPLE dataset (replaces earlier sample data)")
    sample.add_argument("--projects", type=positive_int, default=15000, help="how many SAMPLE projects (1 or more)")
    sample.add_argument("--seed", type=int, default=1)
    sample.add_argument("--output", help="also write the generated records to this CSV (project template)")
    locate = commands.add_parser("locate", help="append admin codes and names to the rows of a CSV (to stdout)")
    locate.add_argument("file")
    locate.add_argument("--lon", required=True, help="longitude column")
    locate.add_argument("--lat", required=True, help="latitude column")
    commands.add_parser("build-artefacts", help="build the files of the current data version (layers, downloads, "
                        "datasets, OC4IDS, tiles; MAPSERVICE_ARTEFACT_DIR); imports do it after they commit")
    report = commands.add_parser("report", help="print and write the data-quality report")
    report.add_argument("--output", help="JSON file (default MAPSERVICE_REPORT_PATH)")
    serve = commands.add_parser("serve", help="run the web service")
    serve.add_argument("--port", type=int, default=5000)
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    serve.add_argument("--threads", type=int, default=4, help="threads per worker")
    serve.add_argument("--socket", help="listen on this unix socket instead of host:port (behind the nginx front)")
    serve.add_argument("--public", action="store_true",
                       help="nginx on host:port in front of gunicorn on a unix socket (docs/deployment.md)")
    users = commands.add_parser("users", help="accounts of the web's admin pages and API").add_subparsers(
        dest="users_command", required=True)
    add = users.add_parser("add", help="add a user (password from stdin, else generated and printed once)")
    add.add_argument("name")
    add.add_argument("--role", choices=accounts.ROLES, required=True)
    add.add_argument("--area", action="append", default=[], help="province or district code an editor publishes "
                     "(repeat for more)")
    users.add_parser("list", help="list the users")
    disable = users.add_parser("disable", help="disable a user (login and tokens)")
    disable.add_argument("name")
    token = users.add_parser("token", help="issue an API token (Authorization: Bearer), printed once")
    token.add_argument("name")
    commands.add_parser("versions", help="list the versions of the published data (imports, publications, rollbacks)")
    rollback = commands.add_parser("rollback", help="make the published projects what they were at a version, "
                                   "as a new version")
    rollback.add_argument("version", type=int)
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO, format="%(levelname)s %(message)s")
    try:
        config = load_config({"DATABASE_URL": args.database_url} if args.database_url else None)
        return COMMANDS[args.command](args, config) or 0
    except pipelines.ImportRefused as refused:
        print(f"error: {refused}", file=sys.stderr)
        _print_rejected(refused.rejected)
        _write_rejected(args, refused.rejected)
        return 1
    except (SourceError, FileNotFoundError, ConfigError, ImportLocked, accounts.AccountError,
            drafts.DraftError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted; nothing of the unfinished step was stored", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 -- a user sees one line, an operator asks for the rest with --debug
        if args.debug:
            traceback.print_exc()
        print(f"error: {args.command} failed: {type(exc).__name__}: {_first_line(exc)}"
              + ("" if args.debug else " (run again with --debug for the details)"), file=sys.stderr)
        return 3


def _first_line(exc):
    text = str(exc).strip()
    return text.splitlines()[0][:300] if text else "no message"


def _session_factory(config):
    engine = create_db_engine(config)
    init_schema(engine)
    return make_session_factory(engine)


def run_init(args, config):
    _session_factory(config)
    print(f"schema ready: {config['DATABASE_URL']}")


def run_import_boundaries(args, config):
    overrides = {"code_field": args.code_field, "name_en_field": args.name_en_field, "name_km_field": args.name_km_field}
    if args.file and not args.level:
        raise SourceError("--file needs --level (province, district or commune)")
    counts = pipelines.import_boundaries(_session_factory(config), config, preset=args.preset, level=args.level,
                                        file=args.file, overrides=overrides)
    print("imported " + ", ".join(f"{n:,} {level}s" for level, n in counts.items()))
    return run_build_artefacts(args, config)


def _progress(done, total):
    """``total`` None while a file is still being read (its rows are stored as they are read)."""
    of = "" if total is None else f"/{total:,}"
    last = total is not None and done >= total
    print(f"\rstoring projects: {done:,}{of}", end="\n" if last else "", file=sys.stderr, flush=True)


def _write_sample_csv(path):
    """`sample --output`: the generated records as a template CSV, every cell through formats/csv_cells.py."""
    def write(records):
        with open(path, "w", encoding="utf-8", newline="") as handle:
            writer = csv_writer(handle)
            writer.writerow(records.columns)
            writer.writerows(records.astype(object).where(records.notna(), None).itertuples(index=False))
    return write


def run_import_projects(args, config):
    factory = _session_factory(config)
    context = {"fiscal_year": args.year, "province_code": args.province}
    summary = pipelines.import_projects(factory, config, args.file, source_format=args.format,
                                       skip_invalid=args.skip_invalid, progress=_progress, context=context)
    _print_summary(summary)
    _print_rejected(summary.rejected)
    _write_rejected(args, summary.rejected)
    return run_build_artefacts(args, config)


def run_sample(args, config):
    from mapservice.ingest import sample

    factory = _session_factory(config)
    output = _write_sample_csv(args.output) if args.output else None
    summary = pipelines.import_sample(factory, config, args.projects, args.seed, output=output, progress=_progress)
    _print_summary(summary)
    print(f"{sample.SAMPLE_MARK}: these {summary.rows_loaded:,} projects are generated sample data, not real records")
    budgets = budget_pipeline.import_sample_budgets(factory, config, args.seed)
    _print_budget_summary(budgets)
    print(f"{sample.SAMPLE_MARK}: these {budgets.rows_loaded:,} budget lines are generated sample data, not real budgets")
    return run_build_artefacts(args, config)


def run_import_budgets(args, config):
    summary = budget_pipeline.import_budgets(_session_factory(config), config, args.file,
                                             skip_invalid=args.skip_invalid, sheet=args.sheet)
    _print_budget_summary(summary)
    _print_rejected(summary.rejected)
    _write_rejected(args, summary.rejected)
    return run_build_artefacts(args, config)


def run_build_artefacts(args, config):
    """After a commit: the files of the new data version. A failure keeps the previous version's files (requests
    are answered dynamically until a build succeeds) and exits with 4: the import itself is stored."""
    if not config["MAPSERVICE_ARTEFACT_DIR"] and args.command != "build-artefacts":
        return 0  # the settings ask for no prebuilt files: an import says nothing of them
    from mapservice.artefacts.build import build_artefacts  # here: an import without files does not load it

    try:
        print(build_artefacts(_session_factory(config), config), flush=True)
    except Exception as exc:  # noqa: BLE001 -- the data are stored; say what failed and how to retry
        if args.debug:
            traceback.print_exc()
        print(f"error: artefacts not built ({type(exc).__name__}: {_first_line(exc)}); the data are stored and "
              "served dynamically; retry with `mapservice build-artefacts`", file=sys.stderr)
        return 4


def run_locate(args, config):
    header, rows, lon, lat = read_points_csv(args.file, args.lon, args.lat)
    with make_session_factory(create_db_engine(config))() as session:
        areas = {level: tables.load_areas(session, level) for level in ("province", "district", "commune")}
    if areas["commune"].empty:
        raise SourceError("no communes are stored; run `mapservice import-boundaries` first")
    write_located_csv(sys.stdout, header, rows, locate_rows(lon, lat, areas))


def run_report(args, config):
    with _session_factory(config)() as session:
        report = quality.build_quality_report(session)
    print(quality.format_quality_report(report))
    path = Path(args.output or config["MAPSERVICE_REPORT_PATH"])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    print(f"\nwritten: {path}")


def run_serve(args, config):
    from mapservice.server import serve, serve_public
    from mapservice.web import create_app

    test_config = {"DATABASE_URL": args.database_url} if args.database_url else None
    create_app(test_config)  # a bad setting fails here, once; an unreachable database is waited for (/readyz 503)
    if args.public:
        print(f"serving on http://{args.host}:{args.port}/ (nginx in front of gunicorn)", flush=True)
        return serve_public(lambda: create_app(test_config), args.host, args.port, args.workers, args.threads)
    bind = f"unix:{args.socket}" if args.socket else f"{args.host}:{args.port}"
    print(f"serving on {bind if args.socket else f'http://{bind}/'}", flush=True)
    serve(lambda: create_app(test_config), bind, args.workers, args.threads)


def _read_password():
    """The new user's password: typed (not echoed) on a terminal, else the first line of stdin; blank: generate."""
    if sys.stdin is None:
        return None
    if sys.stdin.isatty():
        return getpass.getpass("password (blank: generate one): ") or None
    return sys.stdin.readline().rstrip("\r\n") or None


def run_users(args, config):
    with _session_factory(config).begin() as session:
        if args.users_command == "add":
            user, generated = accounts.create_user(session, args.name, args.role, args.area, _read_password())
            accounts.audit(session, "cli", "cli", "user_added", {"user": user.name, "role": user.role,
                                                                  "areas": user.areas})
            print(f"added {user.role} {user.name}" + (f" for {', '.join(user.areas)}" if user.areas else ""))
            if generated:
                print(f"password (shown once): {generated}")
        elif args.users_command == "list":
            for user in accounts.list_users(session):
                print(f"{user.name}\t{user.role}\t{','.join(user.areas) or '-'}\t"
                      f"{'disabled' if user.disabled else 'active'}\t{user.created_at:%Y-%m-%d %H:%M}")
        elif args.users_command == "disable":
            accounts.disable_user(session, args.name)
            accounts.audit(session, "cli", "cli", "user_disabled", {"user": args.name})
            print(f"disabled {args.name}")
        else:
            user = accounts.get_user(session, args.name)
            if user.disabled:
                raise accounts.AccountError(f'user "{args.name}" is disabled', "disabled")
            token = accounts.issue_token(session, user)
            accounts.audit(session, "cli", "cli", "token_issued", {"user": user.name})
            print(f"API token of {user.name} (shown once; send it as Authorization: Bearer <token>):\n{token}")


def run_versions(args, config):
    with _session_factory(config)() as session:
        for version in list_versions(session):
            counts = ", ".join(f"{k} {v:,}" for k, v in version["counts"].items() if isinstance(v, int))
            print(f"{version['id']}\t{version['at']}\t{version['user']}\t{version['action']}\t"
                  f"{version['source_file'] or '-'}\t{version['sha256'] or '-'}\t{counts}")


def run_rollback(args, config):
    operator = accounts.User(name="cli", role="admin", areas=[])  # the server's operator: every area
    version = drafts.rollback_to(_session_factory(config), config, args.version, operator, client="cli")
    counts = version.counts
    print(f"rolled back to version {args.version} as version {version.id}: {counts['added']:,} added, "
          f"{counts['changed']:,} changed, {counts['removed']:,} removed projects; "
          f"{counts.get('budget_area_years', 0):,} area-years' budgets replaced")


def _print_summary(summary):
    print(f"{summary.source}: read {summary.rows_read:,} rows, loaded {summary.rows_loaded:,} "
          f"({summary.inserted:,} new, {summary.updated:,} updated), rejected {len(summary.rejected):,} reason(s)")
    print("join: " + ", ".join(f"{k} {v:,}" for k, v in sorted(summary.join_status.items())))
    _print_ignored(summary)
    print("seconds: " + ", ".join(f"{k} {v:.1f}" for k, v in summary.seconds.items()))


def _print_ignored(summary):
    if summary.ignored_columns:
        print("columns not read (none of the layout's columns; check their names): "
              + ", ".join(f'"{label}"' for label in summary.ignored_columns))


def _print_budget_summary(summary):
    print(f"{summary.source}: read {summary.rows_read:,} rows, loaded {summary.rows_loaded:,} budget lines, "
          f"rejected {len(summary.rejected):,} reason(s)")
    _print_ignored(summary)
    print("seconds: " + ", ".join(f"{k} {v:.1f}" for k, v in summary.seconds.items()))


def _print_rejected(rejected, limit=50):
    for item in rejected[:limit]:
        print(f"  line {item['line']}: {item['reason']}", file=sys.stderr)
    if len(rejected) > limit:
        print(f"  ... and {len(rejected) - limit:,} more (see --rejected-json)", file=sys.stderr)


def _write_rejected(args, rejected):
    if getattr(args, "rejected_json", None):
        Path(args.rejected_json).write_text(json.dumps(rejected, ensure_ascii=False, indent=2), encoding="utf-8")


COMMANDS = {
    "init": run_init, "import-boundaries": run_import_boundaries, "import-projects": run_import_projects,
    "import-budgets": run_import_budgets,
    "sample": run_sample, "build-artefacts": run_build_artefacts, "locate": run_locate, "report": run_report,
    "serve": run_serve, "users": run_users, "versions": run_versions, "rollback": run_rollback,
}

if __name__ == "__main__":
    sys.exit(main())
