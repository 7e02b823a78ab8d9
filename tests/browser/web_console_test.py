#!/usr/bin/python3
"""The web console in a real headless Chromium (issue 16), against a real coordinator and
real agents over tcp://127.0.0.1: an officer logs in, deploys from the library, watches
a finding recorded by an agent appear without a reload, acknowledges a critical alert,
sees hostile field text as text, and keeps working across a coordinator restart; a
viewer cannot deploy, and the refusal is audited under the viewer's name. Screenshots
of the board, the findings, the map and the alerts at 1280x800 go to SCREENSHOTS.

Usage: web_console_test.py COORDINATOR CONSOLE AGENT WORKDIR SCREENSHOTS
Exits 77 (skipped) when Chromium, its driver or Selenium is missing; scripts/test
installs them.
"""
import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

try:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select, WebDriverWait
except ImportError:
    print("SKIP: python3-selenium is not installed")
    sys.exit(77)

COORDINATOR, CONSOLE, AGENT, WORKDIR, SCREENSHOTS = sys.argv[1:6]
PASSWORD = "correct horse battery staple"
NEW_PASSWORD = "another horse, another staple"
HOSTILE = '<img src=x onerror="window.__xss=1">"; DROP TABLE findings; --\x1b[31m \u202egnp.exe'
# What the page shows for HOSTILE: the escape code and the right-to-left override visible.
SHOWN = HOSTILE.replace("\x1b", "\\x1b").replace("\u202e", "<U+202E>")

PLAYBOOK = """id: browser-drill
version: "1.0.0"
title: Browser drill at a border crossing
hazards: [radiological]
marking: RESTRICTED // TLP:AMBER
roles:
  - id: team_leader
    title: Team leader
  - id: radiation_specialist
    title: Radiation specialist
phases:
  - id: assessment
    title: Assessment
steps:
  - id: survey
    title: Survey the vehicle
    phase: assessment
    role: radiation_specialist
    due_in: 1h
    marking: TLP:RED
    findings:
      - id: dose_rate
        label: Dose rate at 1 m
        type: number
        unit: µSv/h
        min: 0
      - id: remark
        label: Remark
        type: text
        report: method
      - id: hot_spot
        label: Hot spot
        type: geolocation
  - id: brief
    title: Brief the commander
    phase: assessment
    role: team_leader
    depends_on: [survey]
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Rig:
    """A coordinator and agents in WORKDIR, stopped at exit."""

    def __init__(self):
        self.work = tempfile.mkdtemp(prefix="browser-", dir=WORKDIR)
        self.hq = os.path.join(self.work, "hq")
        self.api_port = free_port()
        self.agent_port = free_port()
        self.processes = []
        self.coordinator = None
        with open(os.path.join(self.work, "coordinator.yaml"), "w") as f:
            f.write(f"data_dir: {self.hq}\nlog_level: warn\nagents:\n"
                    f"  bind: tcp://127.0.0.1:{self.agent_port}\n"
                    f"api:\n  bind: 127.0.0.1\n  port: {self.api_port}\n  tls: on\n"
                    f"alerts:\n  sweep_interval: 1s\n")
        # HTTPS, as an operations room reaches HQ: the certificate HQ makes at its first
        # start names localhost; the test trusts exactly that file.
        self.url = f"https://localhost:{self.api_port}"

    def start_hq(self):
        log = open(os.path.join(self.work, "coordinator.log"), "a")
        self.coordinator = subprocess.Popen(
            [COORDINATOR, "--config", os.path.join(self.work, "coordinator.yaml")],
            stderr=log, stdout=log)
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                urllib.request.urlopen(self.url + "/healthz", timeout=1, context=self.tls()).read()
                return
            except (urllib.error.URLError, ConnectionError, OSError):
                time.sleep(0.1)
        raise AssertionError("the coordinator did not start; see coordinator.log")

    def stop_hq(self):
        self.coordinator.terminate()
        self.coordinator.wait(timeout=20)

    def tls(self):
        """Trusts the coordinator's own certificate (DATA/api-tls.crt), and no other."""
        certificate = os.path.join(self.hq, "api-tls.crt")
        return ssl.create_default_context(cafile=certificate) if os.path.exists(certificate) else None

    def token(self):
        with open(os.path.join(self.hq, "api.token")) as f:
            return f.readline().strip()

    def call(self, method, path, body=None):
        """The API with the break-glass token (the test's own setup)."""
        request = urllib.request.Request(
            self.url + path, method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Authorization": "Bearer " + self.token(),
                     "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10, context=self.tls()) as answer:
            return json.loads(answer.read())

    def console(self, *args):
        return subprocess.run([CONSOLE, "--data", self.hq, *args], check=True,
                              capture_output=True, text=True).stdout

    def start_agent(self, member):
        home = os.path.join(self.work, member)
        os.makedirs(home, exist_ok=True)
        bundle = os.path.join(home, "bundle.json")
        self.console("agent", "enroll", member, "--out", bundle)
        config = os.path.join(home, "agent.yaml")
        with open(config, "w") as f:
            f.write(f"bundle: {bundle}\ndata_dir: {home}/data\nlog_level: warn\n")
        log = open(os.path.join(home, "agent.log"), "w")
        self.processes.append(subprocess.Popen([AGENT, "--config", config, "run"],
                                               stderr=log, stdout=log))
        return config

    def agent(self, config, *args):
        return subprocess.run([AGENT, "--config", config, *args], check=True,
                              capture_output=True, text=True).stdout

    def close(self):
        for process in self.processes + ([self.coordinator] if self.coordinator else []):
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()


def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                 "--window-size=1280,800", "--disable-gpu", "--autoplay-policy=no-user-gesture-required"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    # HQ's self-signed certificate, which the test's own requests check against the file.
    options.set_capability("acceptInsecureCerts", True)
    service = Service(executable_path=shutil.which("chromedriver") or "/usr/bin/chromedriver")
    driver = webdriver.Chrome(options=options, service=service)
    screen(driver, 1280, 800, False)
    return driver


def screen(driver, width, height, mobile):
    """The page's viewport: a desk at 1280x800, or a tablet held upright."""
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile})


def wait(driver, what, condition, seconds=30):
    try:
        return WebDriverWait(driver, seconds, poll_frequency=0.2).until(lambda d: condition(d))
    except Exception as error:
        shot(driver, "failed-" + what.replace(" ", "-"))
        raise AssertionError(f"timed out waiting for {what}; page text: "
                             f"{driver.find_element(By.TAG_NAME, 'body').text[:2000]}") from error


def text(driver):
    return driver.find_element(By.TAG_NAME, "main").text


def shot(driver, name):
    os.makedirs(SCREENSHOTS, exist_ok=True)
    driver.save_screenshot(os.path.join(SCREENSHOTS, name + ".png"))


def log_in(driver, rig, name, password=PASSWORD):
    driver.get(rig.url + "/#/incidents")
    wait(driver, "the login form", lambda d: d.find_elements(By.ID, "login-operator"))
    driver.find_element(By.ID, "login-operator").send_keys(name)
    driver.find_element(By.ID, "login-password").send_keys(password)
    driver.find_element(By.ID, "login-submit").click()
    wait(driver, "the incident list", lambda d: "INC-1" in text(d))


def steady(what, action):
    """Runs |action|, which looks elements up and uses them. The page may show its view
    again between a lookup and its use (a live update that comes before a field has
    focus): the action is then run again from the start, with fresh lookups."""
    for _ in range(10):
        try:
            return action()
        except StaleElementReferenceException:
            time.sleep(0.2)
    raise AssertionError(f"{what} kept changing under the test")


def fill(driver, form_css, values, button):
    """Fills the form |form_css| with |values| (name -> text, or ("select", value)) and
    presses |button|."""
    def attempt():
        form = driver.find_element(By.CSS_SELECTOR, form_css)
        for name, value in values.items():
            field = form.find_element(By.NAME, name)
            if isinstance(value, tuple):
                Select(field).select_by_value(value[1])
            else:
                field.clear()
                field.send_keys(value)
        form.find_element(By.XPATH, f".//button[text()='{button}']").click()
    steady("the form " + form_css, attempt)


def check(condition, message):
    if not condition:
        raise AssertionError(message)
    print("ok:", message)


def main():
    if not (shutil.which("chromium") and shutil.which("chromedriver")):
        print("SKIP: chromium or chromium-driver is not installed")
        return 77
    rig = Rig()
    driver = None
    try:
        rig.start_hq()
        subprocess.run([COORDINATOR, "operator", "add", "chief", "--role", "administrator",
                        "--data", rig.hq, "--password-stdin"], input=PASSWORD + "\n",
                       check=True, capture_output=True, text=True)
        for name, role in (("dana", "officer"), ("vic", "viewer")):
            rig.call("POST", "/v1/operators", {"name": name, "role": role, "password": PASSWORD})
        rig.call("POST", "/v1/incidents", {"id": "INC-1", "title": "Portal alarm at crossing B-7",
                                           "severity": "high", "hazards": ["radiological"]})
        rig.call("POST", "/v1/members", {"id": "amira", "name": "Amira Haddad", "roles": ["team_leader"]})
        rig.call("POST", "/v1/members", {"id": "jonas", "name": HOSTILE, "roles": ["radiation_specialist"]})
        rig.call("POST", "/v1/playbooks", {"source": PLAYBOOK, "file": "browser-drill.yaml"})
        amira = rig.start_agent("amira")
        jonas = rig.start_agent("jonas")

        driver = browser()
        driver.get(rig.url + "/")
        headers = urllib.request.urlopen(rig.url + "/app.js", context=rig.tls()).headers
        csp = headers.get("Content-Security-Policy", "")
        check("script-src 'self'" in csp and "unsafe-inline" not in csp,
              "the console's files come with a CSP that allows no inline script")
        check(headers.get("Strict-Transport-Security", "").startswith("max-age="),
              "over HTTPS the browser is told to stay on HTTPS")

        # The officer logs in and deploys from the library.
        log_in(driver, rig, "dana")
        driver.get(rig.url + "/#/incident/INC-1/board")
        wait(driver, "the deploy form", lambda d: d.find_elements(By.ID, "deploy-submit"))
        Select(driver.find_element(By.ID, "deploy-playbook")).select_by_index(0)
        driver.find_element(By.ID, "deploy-submit").click()
        wait(driver, "the deployed tasks", lambda d: "Survey the vehicle" in text(d))
        check("Phase: assessment" in text(driver), "the board shows the tasks by phase")
        check("Survey the vehicle — jonas" in text(driver), "the board says what the briefing waits on")

        # A finding recorded on Jonas's laptop appears without a reload.
        driver.get(rig.url + "/#/incident/INC-1/findings")
        wait(driver, "the findings view", lambda d: "findings" in text(d))
        driver.execute_script("window.__loaded_once = true;")
        wait(driver, "jonas's tasks", lambda d: "survey" in rig.agent(jonas, "tasks"), 30)
        rig.agent(jonas, "finding", "survey", "--field", "dose_rate=145",
                  "--field", "remark=" + HOSTILE, "--field", "hot_spot=46.2332,6.1049",
                  "--marking", "SECRET")
        wait(driver, "the finding on the page", lambda d: "dose_rate: 145 µSv/h" in text(d), 40)
        check(driver.execute_script("return window.__loaded_once === true;"),
              "the finding appeared without a reload")
        check("SECRET // TLP:RED" in text(driver),
              "the finding carries its step's marking raised by the member's")
        check(SHOWN in text(driver),
              "hostile field text is shown as text, its escape code as \\x1b, its override as <U+202E>")
        check(not driver.execute_script("return window.__xss === 1;") and
              not driver.find_elements(By.CSS_SELECTOR, "main img[src='x']"),
              "hostile field text made no element and ran no script")
        shot(driver, "findings")

        # The board, with the team's last contact, the age of their newest data and Amira's
        # check-in position.
        rig.agent(amira, "checkin", "46.2301,6.1012")
        driver.get(rig.url + "/#/incident/INC-1/board")
        wait(driver, "the team on the board", lambda d: "Amira Haddad" in text(d))
        wait(driver, "amira's check-in on the board", lambda d: "46.2301,6.1012" in text(d), 40)
        check(any(" old (" in cell.text for cell in driver.find_elements(By.CSS_SELECTOR, "td.data-age")),
              "the board shows how old each member's newest data is")
        wait(driver, "jonas's laptop clock on the board",
             lambda d: d.find_elements(By.CSS_SELECTOR, "td[data-clock]"))
        check(steady("the clock cell", lambda: driver.find_element(
                  By.CSS_SELECTOR, "td[data-clock]").text) == "in step",
              "the board shows how far each laptop's clock is from HQ's")
        shot(driver, "board")
        screen(driver, 800, 1280, True)
        check(driver.execute_script("return document.documentElement.scrollWidth <= 820;"),
              "the board fits a tablet's width")
        shot(driver, "board-tablet")
        screen(driver, 1280, 800, False)

        # The map, with no tile server: a grid.
        driver.get(rig.url + "/#/incident/INC-1/map")
        wait(driver, "the map", lambda d: d.find_elements(By.CSS_SELECTOR, "#map .leaflet-interactive"), 20)
        check("46.2332, 6.1049" in text(driver), "the hot spot is on the map's list")
        check("checked in" in text(driver) and "46.2301, 6.1012" in text(driver),
              "amira's check-in position is on the map")
        check(not driver.find_elements(By.CSS_SELECTOR, "#map img.leaflet-tile"), "no tiles are asked for when HQ has none")
        shot(driver, "map")
        # Offline tiles put in DATA/tiles are used at once, from HQ only.
        os.makedirs(os.path.join(rig.hq, "tiles"), exist_ok=True)
        driver.get(rig.url + "/#/incident/INC-1/board")
        driver.get(rig.url + "/#/incident/INC-1/map")
        wait(driver, "the tile layer", lambda d: d.find_elements(By.CSS_SELECTOR, "#map img.leaflet-tile"), 20)
        sources = [img.get_attribute("src") for img in driver.find_elements(By.CSS_SELECTOR, "#map img.leaflet-tile")]
        check(all(src.startswith(rig.url + "/tiles/") or not src for src in sources),
              "map tiles come from HQ's DATA/tiles only")

        # A critical alert from the field: banner, then acknowledged from the alert view.
        rig.agent(amira, "alert", "Driver collapsed near the vehicle", "--severity", "critical")
        wait(driver, "the critical banner", lambda d: d.find_element(By.ID, "critical").is_displayed(), 40)
        driver.get(rig.url + "/#/alerts")
        wait(driver, "the acknowledge button", lambda d: d.find_elements(By.CSS_SELECTOR, "button.ack"))
        shot(driver, "alerts")
        driver.find_element(By.CSS_SELECTOR, "button.ack").click()
        wait(driver, "the acknowledgement", lambda d: "dana," in text(d))
        wait(driver, "the banner to go", lambda d: not d.find_element(By.ID, "critical").is_displayed())
        check(True, "the critical alert was acknowledged from the browser")

        # The coordinator restarts: the page says so, keeps its session and goes on.
        driver.get(rig.url + "/#/incident/INC-1/findings")
        wait(driver, "the findings again", lambda d: "dose_rate: 145" in text(d))
        driver.execute_script("window.__before_restart = true;")
        rig.stop_hq()
        wait(driver, "the link warning", lambda d: d.find_element(By.ID, "link").is_displayed(), 40)
        rig.start_hq()
        rig.agent(jonas, "finding", "survey", "--field", "dose_rate=152")
        wait(driver, "a finding after the restart", lambda d: "dose_rate: 152" in text(d), 60)
        check(driver.execute_script("return window.__before_restart === true;"),
              "the page survived the coordinator restart without a reload")

        # A tactical report filed from the board reaches the SITREP, which prints cleanly.
        driver.get(rig.url + "/#/incident/INC-1/board")
        wait(driver, "the report form", lambda d: d.find_elements(By.NAME, "conditions"))
        fill(driver, "form[aria-label='tactical report']", {
            "conditions": "Lorry isolated in lane 3", "actions": "Cordon at 50 m",
            "needs": "a second dose-rate meter"}, "File report")
        driver.get(rig.url + "/#/incident/INC-1/sitrep")
        wait(driver, "the report in the SITREP", lambda d: "Conditions: Lorry isolated in lane 3" in text(d))
        check("a second dose-rate meter" in text(driver), "the report's needs lead the SITREP")
        check(len(driver.find_elements(By.CSS_SELECTOR, ".marking-banner")) == 2 and
              driver.find_element(By.CSS_SELECTOR, ".marking-banner").text == "SECRET // TLP:RED",
              "the SITREP is marked top and bottom with the most restrictive marking it holds")
        check(not driver.find_elements(By.CSS_SELECTOR, ".exercise-banner"),
              "a real incident's SITREP carries no exercise mark")
        shot(driver, "sitrep")

        # An exercise is marked on its board, its SITREP and in the incident list.
        rig.call("POST", "/v1/incidents", {"id": "EX-1", "title": "Border drill", "exercise": True})
        driver.get(rig.url + "/#/incident/EX-1/board")
        wait(driver, "the exercise's board", lambda d: "EX-1 — Border drill" in text(d))
        check([b.text for b in driver.find_elements(By.CSS_SELECTOR, ".exercise-banner")] ==
              ["EXERCISE EXERCISE EXERCISE"], "the exercise's board is marked")
        driver.get(rig.url + "/#/incident/EX-1/sitrep")
        wait(driver, "the exercise's SITREP", lambda d: "SITREP EX-1" in text(d))
        check(len(driver.find_elements(By.CSS_SELECTOR, ".exercise-banner")) == 1,
              "the exercise's SITREP is marked")
        driver.get(rig.url + "/#/incidents")
        wait(driver, "the incident list", lambda d: "Incidents" in text(d) and "INC-1" in text(d))
        check("[EXERCISE] Border drill" in text(driver) and "[EXERCISE] Portal" not in text(driver),
              "the incident list marks the exercise and only it")
        driver.get(rig.url + "/#/incident/INC-1/board")
        wait(driver, "the real board", lambda d: "Portal alarm at crossing B-7" in text(d))
        check(not driver.find_elements(By.CSS_SELECTOR, ".exercise-banner"),
              "a real incident's board carries no exercise mark")

        # The monthly report: the real incident counted and the exercise not; Jonas's
        # hostile remark, a method tag for the report, shown as text in lower case, split
        # at its semicolons; the report marked with the finding's marking.
        opened = rig.call("GET", "/v1/incidents/INC-1")["created_at"]
        month = time.strftime("%Y-%m", time.gmtime(opened / 1000))
        driver.get(rig.url + "/#/reports/" + month)
        wait(driver, "the monthly report", lambda d: "Monthly intelligence report, " + month in text(d))
        page = text(driver)
        check("1 incidents opened" in page and "(1 exercises not counted)" in page,
              "the monthly report counts the real incident and leaves the exercise out")
        tags = [t.strip().lower() for t in HOSTILE.split(";")]
        shown = [t.replace("\x1b", "\\x1b").replace("\u202e", "<U+202E>") for t in tags]
        check(all(t in page for t in shown),
              "the report's methods show hostile text as text: " + repr(shown))
        check(not driver.execute_script("return window.__xss === 1;") and
              not driver.find_elements(By.CSS_SELECTOR, "main img[src='x']"),
              "hostile text in the report made no element and ran no script")
        banners = driver.find_elements(By.CSS_SELECTOR, ".report .marking-banner")
        check(len(banners) == 2 and banners[0].text == "SECRET // TLP:RED",
              "the report is marked top and bottom with the highest marking it holds")
        shot(driver, "monthly-report")
        driver.find_element(By.ID, "report-releasable").send_keys("TLP:GREEN")
        driver.find_element(By.CSS_SELECTOR, "#report-form button[type='submit']").click()
        wait(driver, "the partner's report",
             lambda d: "Releasable to TLP:GREEN: 1 findings above it left out." in text(d))
        check(shown[1] not in text(driver) and
              not driver.find_elements(By.CSS_SELECTOR, ".report .marking-banner"),
              "a partner's report holds nothing above its releasability")

        # The officer hands Jonas's survey to Amira from the board.
        driver.get(rig.url + "/#/incident/INC-1/board")
        row_css = "tr[data-task='d1.survey.jonas']"
        wait(driver, "the survey row", lambda d: d.find_elements(By.CSS_SELECTOR, row_css))
        def reassign():
            row = driver.find_element(By.CSS_SELECTOR, row_css)
            Select(row.find_element(By.TAG_NAME, "select")).select_by_value("amira")
            row.find_element(By.XPATH, ".//button[text()='Reassign']").click()
        steady("the survey row", reassign)
        wait(driver, "the reassignment", lambda d: "d1.survey.amira" in text(d))
        check(True, "a task was reassigned from the board")

        # The administrator enrols an agent and adds an operator from the browser.
        rig.call("POST", "/v1/members", {"id": "li", "name": "Li Wen", "roles": ["radiation_specialist"]})
        driver.find_element(By.ID, "logout").click()
        wait(driver, "the login form", lambda d: d.find_elements(By.ID, "login-operator"))
        log_in(driver, rig, "chief")
        driver.get(rig.url + "/#/admin")
        wait(driver, "the enrol form", lambda d: d.find_elements(By.CSS_SELECTOR, "form[aria-label='enrol an agent'] input"))
        fill(driver, "form[aria-label='enrol an agent']", {"member": "li"}, "Enrol")
        wait(driver, "li's agent", lambda d: "li-1" in text(d))
        fill(driver, "form[aria-label='add an operator']",
             {"name": "wall", "role": ("select", "viewer"), "password": PASSWORD}, "Add")
        wait(driver, "the new operator", lambda d: "wall" in text(d))
        check(True, "an agent was enrolled and an operator added from the browser")
        # The viewer forgot her password: the administrator sets a new one from the browser.
        fill(driver, "form[aria-label='reset the password of vic']", {"password": NEW_PASSWORD},
             "Reset password")
        wait(driver, "the reset to be audited",
             lambda d: any(entry["action"] == "operator.reset" and entry["subject"] == "vic"
                           for entry in rig.call("GET", "/v1/audit?limit=500")))

        # The viewer reads but cannot deploy; the refusal is audited under her name.
        driver.find_element(By.ID, "logout").click()
        wait(driver, "the login form again", lambda d: d.find_elements(By.ID, "login-operator"))
        log_in(driver, rig, "vic", NEW_PASSWORD)
        driver.get(rig.url + "/#/incident/INC-1/board")
        wait(driver, "the viewer's board", lambda d: "Survey the vehicle" in text(d))
        check(not driver.find_elements(By.ID, "deploy-submit"), "a viewer is offered no deploy")
        status = driver.execute_async_script("""
            const done = arguments[arguments.length - 1];
            fetch('/v1/session').then((r) => r.json()).then((s) => fetch('/v1/deployments', {
              method: 'POST', headers: {'Content-Type': 'application/json', 'X-Muster-CSRF': s.csrf},
              body: JSON.stringify({incident: 'INC-1', playbook: 'x'})})).then((r) => done(r.status));
        """)
        check(status == 403, "a viewer's deploy from the browser is refused (403)")

        audit = rig.call("GET", "/v1/audit?limit=500")
        def actors(action):
            return [entry["actor"] for entry in audit if entry["action"] == action]
        check(actors("deployment.create") == ["dana"], "the deployment is audited under dana")
        check(actors("alert.ack") == ["dana"], "the acknowledgement is audited under dana")
        check("vic" in actors("access.refused"), "the viewer's refused deploy is audited under vic")
        check(set(actors("operator.login")) >= {"dana", "vic", "chief"}, "each web login is audited")
        check(actors("report.create") == ["dana"] and actors("task.reassign") == ["dana"],
              "the report and the reassignment are audited under dana")
        check(actors("agent.enroll")[-1:] == ["chief"] and "chief" in actors("operator.create"),
              "the enrolment and the new operator are audited under chief")
        check(actors("operator.reset") == ["chief"], "the password reset is audited under chief")

        severe = [entry for entry in driver.get_log("browser")
                  if entry["level"] == "SEVERE" and "Content Security Policy" in entry["message"]]
        check(not severe, "the page broke no rule of its Content-Security-Policy: " + json.dumps(severe))
        print("PASS: web console")
        return 0
    finally:
        if driver is not None:
            driver.quit()
        rig.close()


if __name__ == "__main__":
    sys.exit(main())
