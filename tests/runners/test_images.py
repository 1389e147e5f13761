"""The language images carry their tools (installed at build time) and work with no network."""

from __future__ import annotations

import pytest

from .helpers import QUICK, docker_ready

pytestmark = pytest.mark.docker

TOOLS = QUICK.replace(timeout_s=180, memory_mb=1024)


def _sandbox(lang: str):
    reason = docker_ready()
    if reason:
        pytest.skip(reason)
    import docker.errors

    from harness.runners.docker_backend import DockerSandbox, docker_client
    from harness.runners.images import resolve_image

    try:
        docker_client().inspect_image(resolve_image(lang))
    except docker.errors.ImageNotFound:
        pytest.skip(f"image {resolve_image(lang)} not built (harness sandbox build {lang})")
    return DockerSandbox(lang, pooled=False, limits=TOOLS)


def test_python_image_runs_pytest_with_coverage_and_has_mutmut():
    project = {
        "calc.py": "def add(a, b):\n    return a + b\n\ndef unused():\n    return 0\n",
        "test_calc.py": "from calc import add\n\ndef test_add():\n    assert add(2, 3) == 5\n",
    }
    with _sandbox("python") as sb:
        r = sb.exec(
            "coverage run -m pytest -q -p no:cacheprovider && coverage json -o cov.json -q",
            files=project,
            collect=["cov.json"],
        )
    assert r.ok, r.stdout + r.stderr
    import json

    totals = json.loads(r.files["cov.json"])["totals"]
    assert 0 < totals["percent_covered"] < 100  # `unused` is never called


JAVA_POM = """<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>t</groupId><artifactId>t</artifactId><version>1</version>
  <properties><maven.compiler.release>17</maven.compiler.release>
    <project.build.sourceEncoding>UTF-8</project.build.sourceEncoding></properties>
  <dependencies><dependency><groupId>junit</groupId><artifactId>junit</artifactId><version>4.13.2</version>
    <scope>test</scope></dependency></dependencies>
  <build><plugins>
    <plugin><groupId>org.apache.maven.plugins</groupId><artifactId>maven-compiler-plugin</artifactId><version>3.10.1</version></plugin>
    <plugin><groupId>org.apache.maven.plugins</groupId><artifactId>maven-surefire-plugin</artifactId><version>2.22.3</version>
      <configuration><argLine>${env.JACOCO_JAVAAGENT},destfile=${project.build.directory}/jacoco.exec</argLine></configuration></plugin>
    <plugin><groupId>org.apache.maven.plugins</groupId><artifactId>maven-resources-plugin</artifactId><version>3.3.0</version></plugin>
  </plugins></build>
</project>
"""


@pytest.mark.slow
def test_java_image_runs_maven_offline_with_jacoco():
    project = {
        "pom.xml": JAVA_POM,
        "src/main/java/t/Calc.java": "package t;\npublic class Calc {\n  public static int add(int a, int b) { return a + b; }\n"
        "  public static int unused() { return 0; }\n}\n",
        "src/test/java/t/CalcTest.java": "package t;\nimport org.junit.Test;\nimport static org.junit.Assert.assertEquals;\n"
        "public class CalcTest { @Test public void add() { assertEquals(5, Calc.add(2, 3)); } }\n",
    }
    with _sandbox("java") as sb:
        r = sb.exec(
            'mvn -q -B test && java -cp "$JACOCO_REPORT_CP" JacocoReport target/jacoco.exec target/classes '
            "jacoco.xml jacoco.csv",
            files=project,
            collect=["target/surefire-reports/*.xml", "jacoco.csv"],
        )
    assert r.ok, r.stdout[-3000:] + r.stderr[-2000:]
    assert 'tests="1"' in r.files["target/surefire-reports/TEST-t.CalcTest.xml"].decode()
    csv = r.files["jacoco.csv"].decode().splitlines()
    assert csv[0].startswith("GROUP,PACKAGE,CLASS") and any(",Calc," in line for line in csv[1:])


def test_go_image_runs_go_test_with_coverage():
    project = {
        "go.mod": "module example.com/calc\n\ngo 1.19\n",
        "calc.go": "package calc\n\nfunc Add(a, b int) int { return a + b }\n\nfunc Unused() int { return 0 }\n",
        "calc_test.go": 'package calc\n\nimport "testing"\n\nfunc TestAdd(t *testing.T) {\n\tif Add(2, 3) != 5 {\n'
        '\t\tt.Fatal("bad")\n\t}\n}\n',
    }
    with _sandbox("go") as sb:
        r = sb.exec(["go", "test", "-coverprofile=cover.out", "./..."], files=project, collect=["cover.out"])
    assert r.ok, r.stdout + r.stderr
    assert "coverage: 50.0% of statements" in r.stdout
    assert r.files["cover.out"].startswith(b"mode: set")


@pytest.mark.slow
def test_python_image_runs_mutmut():
    project = {
        "calc.py": "def add(a, b):\n    return a + b\n\ndef sub(a, b):\n    return a - b\n",
        "tests/test_calc.py": "from calc import add, sub\n\ndef test_add():\n    assert add(2, 3) == 5\n\n"
        "def test_sub():\n    assert sub(3, 2) == 1\n",
        "setup.cfg": "[mutmut]\nsource_paths=calc.py\n",
    }
    with _sandbox("python") as sb:
        r = sb.exec("mutmut run >/dev/null 2>&1; mutmut results --all true", files=project)
    assert r.ok, r.stdout + r.stderr
    assert r.stdout.count(": killed") == 2, r.stdout
