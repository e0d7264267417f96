#!/usr/bin/env python3
"""Assembles an Eclipse 4.26 workbench from Debian 12's jars, for the plug-in's end-to-end test.

Debian ships the platform's bundles (/usr/lib/eclipse/plugins) but no launchable product, and
three packaging gaps keep them from resolving: the OSGi compendium services and utilities
(org.osgi.service.prefs/event/cm/component/metatype/..., org.osgi.util.promise/function) are
only in osgi.cmpn.jar, which has no OSGi headers; libswt-gtk-4-java 4.26 says
`Bundle-Version: 3.114.100`, below the 3.117 that jface.text 3.22 requires; bouncycastle (which
p2, required by org.eclipse.ui.ide, imports) has no OSGi headers. This script writes small
wrapper bundles for those (manifest-only jars whose `Bundle-ClassPath` points at the Debian jar
with Equinox's `external:` prefix, and a re-stamped copy of SWT), links every other bundle, and
writes `configuration/config.ini` listing them all.

Test-harness plumbing only: nothing here is part of the plug-in.

    make_platform.py OUT [--bundle JAR]...    # --bundle: more bundles to install (the plug-in)
"""

import argparse
import os
import re
import subprocess
import sys
import zipfile

DEBIAN_PLUGINS = "/usr/lib/eclipse/plugins"
JAVA = "/usr/share/java"
SWT_JAR = f"{JAVA}/org.eclipse.swt.jar"
# The SWT of Eclipse 4.26 (what libswt-gtk-4-java 4.26 really contains).
SWT_VERSION = "3.121.0"
OSGI_CMPN = f"{JAVA}/osgi.cmpn.jar"
BOUNCYCASTLE = [f"{JAVA}/bcprov.jar", f"{JAVA}/bcpg.jar"]

# Bundles of the compendium that the platform requires by name or imports, with their packages
# (a wrapper bundle per symbolic name, since some are required with Require-Bundle).
CMPN_BUNDLES = {
    "org.osgi.service.prefs": ["org.osgi.service.prefs"],
    "org.osgi.service.event": ["org.osgi.service.event", "org.osgi.service.event.annotations",
                               "org.osgi.service.event.propertytypes"],
    "org.osgi.service.cm": ["org.osgi.service.cm", "org.osgi.service.cm.annotations"],
    "org.osgi.service.component": ["org.osgi.service.component", "org.osgi.service.component.runtime",
                                   "org.osgi.service.component.runtime.dto",
                                   "org.osgi.service.component.propertytypes"],
    "org.osgi.service.metatype": ["org.osgi.service.metatype"],
    "org.osgi.util.promise": ["org.osgi.util.promise"],
    "org.osgi.util.function": ["org.osgi.util.function"],
}

# Debian bundles left out: org.eclipse.osgi.services re-exports OSGi R8 bundles that Debian does
# not have, and only annotations (not needed at run time) are imported from it.
SKIPPED = ("org.eclipse.osgi.services_",)

# Libraries with OSGi headers of their own that the platform needs at run time.
LIBRARIES = [
    "atinject-jsr330-api.jar",  # javax.inject
    "geronimo-annotation-1.3-spec.jar",  # javax.annotation
    "icu4j.jar",
    "jna.jar",
    "jna-platform.jar",
    "batik-css.jar",
    "batik-util.jar",
    "batik-gui-util.jar",
    "batik-i18n.jar",
    "xml-apis-ext.jar",  # org.w3c.css.sac
    "servlet-api.jar",
    "commons-jxpath.jar",
    "xz.jar",
    "org.apache.felix.scr.jar",
]

# Bundles started early, as an Eclipse product's config.ini does.
START = {
    "org.eclipse.equinox.common": "@2:start",
    "org.apache.felix.scr": "@2:start",
    "org.eclipse.equinox.event": "@2:start",
    "org.eclipse.core.runtime": "@start",
}


def die(message):
    sys.exit(f"make_platform: {message}")


def manifest_headers(jar):
    with zipfile.ZipFile(jar) as z:
        try:
            text = z.read("META-INF/MANIFEST.MF").decode("utf-8", "replace")
        except KeyError:
            return {}
    text = text.replace("\r\n", "\n").replace("\n ", "")
    headers = {}
    for line in text.split("\n"):
        if ":" in line:
            key, value = line.split(":", 1)
            headers[key.strip()] = value.strip()
    return headers


def symbolic_name(jar):
    name = manifest_headers(jar).get("Bundle-SymbolicName")
    return name.split(";")[0].strip() if name else None


def write_manifest(lines):
    """A manifest's text: 72-byte lines, continuations start with a space."""
    out = []
    for line in lines:
        data = line.encode("utf-8")
        first = True
        while data:
            width = 72 if first else 71
            out.append((b"" if first else b" ") + data[:width])
            data = data[width:]
            first = False
    return b"\r\n".join(out) + b"\r\n\r\n"


def write_jar(path, manifest_lines, entries=()):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("META-INF/MANIFEST.MF", write_manifest(manifest_lines))
        for name, data in entries:
            z.writestr(name, data)


def package_version(jar, package):
    """The @Version of an OSGi package, read from its package-info class."""
    out = subprocess.run(["javap", "-v", "-cp", jar, f"{package}.package-info"],
                         capture_output=True, text=True).stdout
    m = re.search(r'Version\(\s*value="([^"]+)"', out)
    return m.group(1) if m else "0.0.0"


def packages_in(jar):
    with zipfile.ZipFile(jar) as z:
        return sorted({os.path.dirname(n).replace("/", ".") for n in z.namelist()
                       if n.endswith(".class") and "/" in n and not n.startswith("META-INF/")})


def external_wrapper(path, name, version, jars, exports):
    """A manifest-only bundle whose classes come from Debian jars outside the OSGi world."""
    write_jar(path, [
        "Manifest-Version: 1.0",
        "Bundle-ManifestVersion: 2",
        f"Bundle-SymbolicName: {name}",
        f"Bundle-Version: {version}",
        f"Bundle-Name: {name} (wrapper of {', '.join(os.path.basename(j) for j in jars)})",
        "Bundle-ClassPath: " + ",".join(f"external:{j}" for j in jars),
        "Export-Package: " + ",".join(exports),
        "DynamicImport-Package: *",
    ])


def restamped_swt(path):
    headers = manifest_headers(SWT_JAR)
    if headers.get("Bundle-SymbolicName", "").split(";")[0] != "org.eclipse.swt":
        die(f"{SWT_JAR} is not the org.eclipse.swt bundle")
    with zipfile.ZipFile(SWT_JAR) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "META-INF/MANIFEST.MF":
                data = re.sub(rb"Bundle-Version: *[^\r\n]+", f"Bundle-Version: {SWT_VERSION}".encode(), data)
            elif item.filename.startswith("META-INF/") and item.filename.endswith((".SF", ".RSA", ".DSA")):
                continue
            dst.writestr(item, data)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out")
    parser.add_argument("--bundle", action="append", default=[], help="another bundle to install")
    args = parser.parse_args()

    for required in [DEBIAN_PLUGINS, SWT_JAR, OSGI_CMPN, *BOUNCYCASTLE]:
        if not os.path.exists(required):
            die(f"{required} is missing: install the packages of tests/apt-packages.txt")
    out = os.path.abspath(args.out)
    plugins = os.path.join(out, "plugins")
    os.makedirs(plugins, exist_ok=True)
    for old in os.listdir(plugins):
        os.remove(os.path.join(plugins, old))

    bundles = []  # (symbolic name, path in plugins/)

    def link(jar, name=None):
        target = os.path.join(plugins, name or os.path.basename(jar))
        os.symlink(os.path.realpath(jar), target)
        bundles.append((symbolic_name(jar), target))

    for jar in sorted(os.listdir(DEBIAN_PLUGINS)):
        if not jar.startswith(SKIPPED):
            link(os.path.join(DEBIAN_PLUGINS, jar), jar)
    for lib in LIBRARIES:
        path = os.path.join(JAVA, lib)
        if not os.path.exists(path):
            die(f"{path} is missing: install the packages of tests/apt-packages.txt")
        if not symbolic_name(path):
            die(f"{path} has no OSGi headers")
        link(path)

    swt = os.path.join(plugins, f"org.eclipse.swt_{SWT_VERSION}.jar")
    restamped_swt(swt)
    bundles.append(("org.eclipse.swt", swt))

    for name, packages in CMPN_BUNDLES.items():
        versions = {p: package_version(OSGI_CMPN, p) for p in packages}
        path = os.path.join(plugins, f"{name}_{versions[packages[0]]}.jar")
        external_wrapper(path, name, versions[packages[0]], [OSGI_CMPN],
                         [f'{p};version="{v}"' for p, v in versions.items()])
        bundles.append((name, path))

    bc_version = re.search(r"-(\d+\.\d+)\.jar$", os.path.realpath(BOUNCYCASTLE[0]))
    bc_version = bc_version.group(1) if bc_version else "1.72"
    bc_packages = sorted({p for jar in BOUNCYCASTLE for p in packages_in(jar)})
    bc = os.path.join(plugins, f"org.bouncycastle_{bc_version}.jar")
    external_wrapper(bc, "org.bouncycastle", bc_version, [os.path.realpath(j) for j in BOUNCYCASTLE],
                     [f'{p};version="{bc_version}"' for p in bc_packages])
    bundles.append(("org.bouncycastle", bc))

    for jar in args.bundle:
        name = symbolic_name(jar)
        if not name:
            die(f"{jar} is not a bundle")
        target = os.path.join(plugins, os.path.basename(jar))
        os.symlink(os.path.realpath(jar), target)
        bundles.append((name, target))

    framework = [path for name, path in bundles if name == "org.eclipse.osgi"]
    if not framework:
        die("org.eclipse.osgi is missing")
    entries = [f"reference:file:{os.path.realpath(path)}{START.get(name, '')}"
               for name, path in bundles if name != "org.eclipse.osgi"]
    configuration = os.path.join(out, "configuration")
    os.makedirs(configuration, exist_ok=True)
    with open(os.path.join(configuration, "config.ini"), "w") as f:
        f.write("# Written by make_platform.py\n")
        f.write(f"osgi.framework=file:{os.path.realpath(framework[0])}\n")
        f.write("osgi.bundles=" + ",\\\n  ".join(entries) + "\n")
        f.write("osgi.bundles.defaultStartLevel=4\n")
        f.write("eclipse.application=org.eclipse.ui.ide.workbench\n")
        f.write("osgi.instance.area.default=@user.home/workspace\n")
        f.write("eclipse.p2.data.area=@config.dir/../p2\n")
    print(f"make_platform: {len(bundles)} bundles in {plugins}")


if __name__ == "__main__":
    main()
