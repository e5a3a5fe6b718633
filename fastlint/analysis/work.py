"""What work a call does: blocking I/O, CPU-heavy work, long work (the FL3xx catalogue).

Calls are matched by the qualified name of what is called (`requests.get`, `bcrypt.hashpw`,
`builtins.open`) or, for methods, by the kind of the receiver (a sync `Session`, an
`httpx.Client`, a passlib `CryptContext`) and the method's name. Kinds come from
`fastlint.analysis.known`; this module adds the client classes it needs there.
"""

from __future__ import annotations

from fastlint.analysis import known

# -- instance kinds of clients and data objects -----------------------------------------------------
SYNC_HTTP = "SyncHttpClient"
SYNC_REDIS = "SyncRedis"
BOTO3_CLIENT = "Boto3Client"
SMTP_CLIENT = "SmtpClient"
PATH = "Path"
CRYPT_CONTEXT = "CryptContext"
ARGON2_HASHER = "Argon2Hasher"
PIL_IMAGE = "PilImage"
DATAFRAME = "DataFrame"
WORKBOOK = "Workbook"
FAST_MAIL = "FastMail"
ASYNC_SMTP = "AsyncSmtp"
SENDGRID = "SendGridClient"
SETTINGS = "Settings"  #: a pydantic-settings object: its fields are configuration, not data

_CLASSES = {
    "requests.Session": SYNC_HTTP,
    "requests.sessions.Session": SYNC_HTTP,
    "httpx.Client": SYNC_HTTP,
    "redis.Redis": SYNC_REDIS,
    "redis.StrictRedis": SYNC_REDIS,
    "redis.client.Redis": SYNC_REDIS,
    "smtplib.SMTP": SMTP_CLIENT,
    "smtplib.SMTP_SSL": SMTP_CLIENT,
    "pathlib.Path": PATH,
    "passlib.context.CryptContext": CRYPT_CONTEXT,
    "argon2.PasswordHasher": ARGON2_HASHER,
    "pandas.DataFrame": DATAFRAME,
    "openpyxl.Workbook": WORKBOOK,
    "fastapi_mail.FastMail": FAST_MAIL,
    "aiosmtplib.SMTP": ASYNC_SMTP,
    "sendgrid.SendGridAPIClient": SENDGRID,
    "pydantic_settings.BaseSettings": SETTINGS,
    "pydantic.BaseSettings": SETTINGS,
    "pydantic.v1.BaseSettings": SETTINGS,
}
_FUNCTIONS = {
    "redis.from_url": SYNC_REDIS,
    "boto3.client": BOTO3_CLIENT,
    "boto3.resource": BOTO3_CLIENT,
    "PIL.Image.open": PIL_IMAGE,
    "PIL.Image.new": PIL_IMAGE,
    "PIL.Image.frombytes": PIL_IMAGE,
    "pandas.read_csv": DATAFRAME,
    "pandas.read_excel": DATAFRAME,
    "pandas.read_sql": DATAFRAME,
    "pandas.read_json": DATAFRAME,
    "pandas.read_parquet": DATAFRAME,
    "openpyxl.load_workbook": WORKBOOK,
}
#: Method calls that keep the receiver's kind (`img.convert("RGB").resize(...)`).
_SAME = {
    PIL_IMAGE: ("convert", "resize", "rotate", "crop", "transpose", "filter", "copy"),
    DATAFRAME: ("merge", "groupby", "sort_values", "pivot_table", "apply", "fillna", "drop", "rename", "copy"),
    SYNC_HTTP: (),
}


def register() -> None:
    """Add the client kinds to `known` (classes, factory functions, chained methods)."""
    known.CLASSES.update({q: k for q, k in _CLASSES.items() if q not in known.CLASSES})
    known.FUNCTIONS.update({q: k for q, k in _FUNCTIONS.items() if q not in known.FUNCTIONS})
    for kind, methods in _SAME.items():
        known.METHOD_RESULTS.setdefault(kind, {}).update({m: "=" for m in methods})
    known.METHOD_RESULTS.setdefault(known.type_of(SYNC_REDIS), {})["from_url"] = SYNC_REDIS


register()

ANY = None  #: every method of the receiver

# -- blocking I/O -----------------------------------------------------------------------------------
_HTTP_VERBS = ("get", "post", "put", "patch", "delete", "head", "options", "request", "stream")
BLOCKING_FUNCTIONS: dict[str, str] = {
    **{f"requests.{v}": "an HTTP request with `requests`" for v in _HTTP_VERBS},
    **{f"httpx.{v}": "a sync HTTP request with `httpx`" for v in _HTTP_VERBS},
    "urllib.request.urlopen": "an HTTP request with `urllib`",
    "time.sleep": "`time.sleep`",
    "builtins.open": "file I/O with `open()`",
    "subprocess.run": "a subprocess",
    "subprocess.call": "a subprocess",
    "subprocess.check_call": "a subprocess",
    "subprocess.check_output": "a subprocess",
    "os.system": "a subprocess",
    "os.popen": "a subprocess",
    "smtplib.SMTP": "an SMTP connection",
    "smtplib.SMTP_SSL": "an SMTP connection",
    "socket.create_connection": "a socket connection",
    "socket.getaddrinfo": "a DNS lookup",
    "socket.gethostbyname": "a DNS lookup",
    "psycopg2.connect": "a sync database driver",
    "psycopg.connect": "a sync database driver",
    "pymysql.connect": "a sync database driver",
    "sqlite3.connect": "a sync database driver",
    "MySQLdb.connect": "a sync database driver",
    "mysql.connector.connect": "a sync database driver",
    "shutil.copyfile": "file I/O",
    "shutil.copy": "file I/O",
    "shutil.copy2": "file I/O",
    "shutil.copytree": "file I/O",
    "shutil.rmtree": "file I/O",
    "shutil.move": "file I/O",
    "boto3.client": "a boto3 (sync AWS) client",
    "boto3.resource": "a boto3 (sync AWS) client",
}
_SYNC_SESSION_METHODS = ("query", "execute", "scalars", "scalar", "get", "commit", "flush", "refresh", "exec", "connection", "rollback", "merge")
#: receiver kind -> (methods that block or ANY, what it is)
BLOCKING_METHODS: dict[str, tuple[tuple[str, ...] | None, str]] = {
    known.SESSION: (_SYNC_SESSION_METHODS, "a sync SQLAlchemy session"),
    known.SCOPED_SESSION: (_SYNC_SESSION_METHODS, "a sync SQLAlchemy session"),
    known.ENGINE: (("connect", "begin", "execute", "dispose", "raw_connection"), "a sync SQLAlchemy engine"),
    known.CONNECTION: (("execute", "exec_driver_sql", "scalars", "scalar", "commit", "rollback"), "a sync SQLAlchemy connection"),
    known.DBAPI_CONNECTION: (("execute", "executemany", "commit", "rollback"), "a sync database driver"),
    known.CURSOR: (("execute", "executemany", "fetchall", "fetchone", "fetchmany"), "a sync database driver"),
    SYNC_HTTP: (_HTTP_VERBS + ("send",), "a sync HTTP client"),
    SYNC_REDIS: (ANY, "a sync Redis client"),
    BOTO3_CLIENT: (ANY, "a boto3 (sync AWS) client"),
    SMTP_CLIENT: (("sendmail", "send_message", "login", "starttls", "ehlo", "connect", "quit"), "an SMTP client"),
    PATH: (("read_text", "read_bytes", "write_text", "write_bytes"), "file I/O"),
}
#: methods of ANY-receivers that do no I/O
NO_IO_METHODS = frozenset({"pipeline", "get_paginator", "get_waiter", "meta", "close"})

# -- CPU-heavy work ------------------------------------------------------------------------------------
CPU_FUNCTIONS: dict[str, str] = {
    "bcrypt.hashpw": "password hashing (bcrypt)",
    "bcrypt.checkpw": "password hashing (bcrypt)",
    "bcrypt.kdf": "key derivation (bcrypt)",
    "hashlib.pbkdf2_hmac": "key derivation (PBKDF2)",
    "hashlib.scrypt": "key derivation (scrypt)",
    "argon2.hash_password": "password hashing (argon2)",
    "zlib.compress": "compression",
    "gzip.compress": "compression",
    "bz2.compress": "compression",
    "lzma.compress": "compression",
    "pandas.read_csv": "parsing a data file with pandas",
    "pandas.read_excel": "parsing a spreadsheet with pandas",
    "pandas.read_parquet": "parsing a data file with pandas",
}
#: `from passlib.hash import bcrypt` ... `bcrypt.hash(pw)`: any scheme under passlib.hash
PASSLIB_SCHEMES = "passlib.hash."
PASSLIB_METHODS = frozenset({"hash", "verify", "encrypt", "verify_and_update"})
CPU_METHODS: dict[str, tuple[tuple[str, ...] | None, str]] = {
    CRYPT_CONTEXT: (("hash", "verify", "encrypt", "verify_and_update"), "password hashing (passlib)"),
    ARGON2_HASHER: (("hash", "verify"), "password hashing (argon2)"),
    PIL_IMAGE: (("resize", "thumbnail", "rotate", "transform", "filter", "save", "convert"), "image processing (PIL)"),
    DATAFRAME: (("merge", "groupby", "pivot_table", "apply", "sort_values"), "pandas work"),
}
#: Heavy enough to offload even from a sync route (it ties up a threadpool worker for seconds).
HEAVY_ANYWHERE = frozenset({"image processing (PIL)"})

# -- long work ------------------------------------------------------------------------------------------
LONG_FUNCTIONS: dict[str, str] = {
    "aiosmtplib.send": "sending e-mail",
}
EMAIL_METHODS: dict[str, tuple[tuple[str, ...] | None, str]] = {
    SMTP_CLIENT: (("sendmail", "send_message"), "sending e-mail"),
    FAST_MAIL: (("send_message",), "sending e-mail"),
    ASYNC_SMTP: (("send_message", "sendmail"), "sending e-mail"),
    SENDGRID: (("send",), "sending e-mail"),
    BOTO3_CLIENT: (("send_email", "send_raw_email", "send_templated_email", "send_bulk_templated_email"), "sending e-mail"),
}
REPORT_METHODS: dict[str, tuple[tuple[str, ...] | None, str]] = {
    DATAFRAME: (("to_excel",), "a report or export"),
    WORKBOOK: (("save",), "a report or export"),
}
SLEEPS = frozenset({"time.sleep", "asyncio.sleep", "anyio.sleep", "trio.sleep"})

# -- offloading -----------------------------------------------------------------------------------------
#: Calls whose arguments run elsewhere (a thread, a process, a worker).
OFFLOAD_FUNCTIONS = frozenset(
    {
        "starlette.concurrency.run_in_threadpool",
        "fastapi.concurrency.run_in_threadpool",
        "asyncio.to_thread",
        "anyio.to_thread.run_sync",
        "anyio.to_process.run_sync",
        "asgiref.sync.sync_to_async",
    }
)
#: Methods that hand a callable to another thread or process (`loop.run_in_executor`,
#: `executor.submit`, `pool.apply_async`, Celery's `task.delay`).
OFFLOAD_METHODS = frozenset({"run_in_executor", "submit", "apply_async", "map_async", "delay", "send_task", "run_sync"})


def match_methods(table: dict[str, tuple[tuple[str, ...] | None, str]], method: str) -> dict[str, str]:
    """Receiver kinds for which `method` is in `table`, with the label."""
    out = {}
    for kind, (methods, label) in table.items():
        if methods is ANY:
            if method not in NO_IO_METHODS and not method.startswith("_"):
                out[kind] = label
        elif method in methods:
            out[kind] = label
    return out


# -- JWT ----------------------------------------------------------------------------------------------
#: names (lowercase, without `_`/`-`) of a password, a password hash or a secret
SECRET_NAMES = frozenset(
    {
        "password", "passwd", "pwd", "pass", "hashedpassword", "passwordhash", "passwordhashed", "userpassword",
        "plainpassword", "secret", "clientsecret", "apikey", "privatekey", "secretkey",
    }
)


def is_secret_name(name: str) -> bool:
    """`password`, `hashed_password`, `api_key`, `clientSecret`..."""
    return name.lower().replace("_", "").replace("-", "") in SECRET_NAMES


#: encode functions -> position of the claims (payload) argument, and its keyword
JWT_ENCODERS: dict[str, tuple[int, str]] = {
    "jwt.encode": (0, "payload"),
    "jwt.api_jwt.encode": (0, "payload"),
    "jose.jwt.encode": (0, "claims"),
    "authlib.jose.jwt.encode": (1, "payload"),
    "joserfc.jwt.encode": (1, "claims"),
}
