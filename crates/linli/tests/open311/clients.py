#!/usr/bin/env python3
"""Drives Linli's Open311 GeoReport v2 endpoint with client libraries other people wrote.

  three==0.8.0      (Code for America's client; JSON: services, definition, post, request by
                     id, token, list, discovery; its XML mode is broken on Python 3)
  georeport==0.3.1  (read-only; used for the .xml forms)

Usage: clients.py BASE_URL API_KEY SERVICE_CODE LAT LONG
Exit status: 0 if every check passes, 1 on a mismatch, 2 on a usage or connection error.
The venv is made by .ci/run; see crates/linli/tests/binary.rs for the test that runs this.
"""
import itertools
import sys
import time

# `three` 0.8.0 is Python 2 code: core.py imports itertools.ifilter. This is the only
# change its JSON mode needs on Python 3.
if not hasattr(itertools, "ifilter"):
    itertools.ifilter = filter

import requests as http  # noqa: E402  (a dependency of both libraries)
import three  # noqa: E402
from georeport import GeoReport  # noqa: E402

FAILURES = []


def check(cond, what):
    print(("ok    " if cond else "FAIL  ") + what)
    if not cond:
        FAILURES.append(what)
    return cond


def as_list(x):
    """xmltodict gives a dict, not a list, for a single child element."""
    return [] if x is None else (x if isinstance(x, list) else [x])


def main(argv):
    if len(argv) != 6:
        print(__doc__)
        return 2
    base, api_key, code, lat, lon = argv[1].rstrip("/") + "/", argv[2], argv[3], argv[4], argv[5]
    t = three.Three(base, api_key=api_key, format="json")

    services = t.services()
    check(t._request.status_code == 200, "GET services.json -> 200")
    check(isinstance(services, list), "services.json is an array")
    check(code in [str(s.get("service_code")) for s in services], f"service {code} is listed")

    definition = t.services(code)
    check(isinstance(definition, dict) and definition.get("service_code") == code, "service definition")
    check(any(a.get("code") == "room" for a in definition.get("attributes", [])), "definition has attributes")

    desc = f"three client check {int(time.time())}"
    created = t.post(code, lat=lat, long=lon, description=desc, name="Xiaoming Li", email="li@example.cn")
    check(t.post_response.status_code in (200, 201), f"POST requests.json -> {t.post_response.status_code}")
    if not (isinstance(created, list) and created and isinstance(created[0], dict)):
        check(False, f"POST answer is an array of objects: {created!r}")
        return 1
    sr_id, token = created[0].get("service_request_id"), created[0].get("token")
    check(bool(sr_id), "POST answer has service_request_id")
    check(bool(created[0].get("service_notice")), "POST answer has a service notice")

    if token:
        tk = t.token(token)
        check(isinstance(tk, list) and tk and str(tk[0].get("service_request_id")) == str(sr_id), "token resolves")
    sr_id = str(sr_id)

    one = t.request(sr_id)
    check(t._request.status_code == 200, f"GET requests/{sr_id}.json -> 200")
    r = one[0] if isinstance(one, list) and one else {}
    check(str(r.get("service_request_id")) == sr_id, "the request has its id")
    check(str(r.get("service_code")) == code, "the request has its service code")
    # A report's words are public only once the community has registered it (issue 11).
    check(r.get("description") in ("", None), "the request's description waits for registration")
    check(r.get("status") == "open", "the request is open")
    try:
        check(abs(float(r.get("lat")) - float(lat)) < 1e-6 and abs(float(r.get("long")) - float(lon)) < 1e-6,
              "the request has its point")
    except (TypeError, ValueError):
        check(False, "the request has a numeric point")

    listed = t.requests(code)
    check(isinstance(listed, list) and sr_id in [str(x.get("service_request_id")) for x in listed],
          "requests.json?service_code lists it")

    disc = t.discovery()
    check(isinstance(disc, dict) and disc.get("endpoints"), "discovery.json has endpoints")

    bad = three.Three(base, api_key="o311_wrong", format="json")
    bad.post(code, lat=lat, long=lon, description="must not be written")
    check(bad.post_response.status_code == 403, "a wrong api_key is refused with 403")

    g = GeoReport(base, output_format="xml")
    check(code in [str(s.get("service_code")) for s in as_list(g.get_service_list())], "services.xml lists it")
    check(str(g.get_service_definition(code).get("service_code")) == code, "services/CODE.xml")
    xr = as_list(g.get_service_request(sr_id))
    check(bool(xr) and str(xr[0].get("service_request_id")) == sr_id, f"requests/{sr_id}.xml")
    xl = as_list(g.get_service_requests(service_code=code))
    check(sr_id in [str(x.get("service_request_id")) for x in xl], "requests.xml lists it")

    print(f"{len(FAILURES)} failed" if FAILURES else "all checks passed")
    return 1 if FAILURES else 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except http.exceptions.ConnectionError as e:
        print("connection error:", e)
        sys.exit(2)
