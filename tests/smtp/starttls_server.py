"""An SMTP server for pgsnap's notification tests: STARTTLS required, AUTH
(LOGIN/PLAIN) required after it, one user. Prints each message it accepts.

usage: starttls_server.py PORT CERT KEY USER PASSWORD
"""
import ssl
import sys
import time

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

port, cert, key, user, password = sys.argv[1:6]
context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
context.load_cert_chain(cert, key)


class Handler:
    async def handle_DATA(self, server, session, envelope):
        login = session.auth_data.login.decode() if session.auth_data else "-"
        print(f"AUTH {login} TLS {session.ssl is not None}", flush=True)
        print(envelope.content.decode(errors="replace"), flush=True)
        print("END-MESSAGE", flush=True)
        return "250 OK"


def authenticate(server, session, envelope, mechanism, auth_data):
    ok = (
        isinstance(auth_data, LoginPassword)
        and auth_data.login.decode() == user
        and auth_data.password.decode() == password
    )
    return AuthResult(success=ok, handled=False, auth_data=auth_data)


controller = Controller(
    Handler(),
    hostname="127.0.0.1",
    port=int(port),
    tls_context=context,
    require_starttls=True,
    authenticator=authenticate,
    auth_require_tls=True,
)
controller.start()
print("READY", flush=True)
time.sleep(300)
