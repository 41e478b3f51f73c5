// A real OpenLDAP slapd (Debian slapd and ldap-utils) on a loopback port,
// plain LDAP, seeded with two people and two groups, for the sign-in
// directory tests. The configuration follows server/users/ldaptest.

import { spawn, execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export const baseDN = "dc=example,dc=org";
export const peopleDN = `ou=people,${baseDN}`;
export const groupsDN = `ou=groups,${baseDN}`;
export const adminDN = `cn=admin,${baseDN}`;
export const adminPassword = "directory-admin-secret";
export const operatorsGroup = `cn=operators,${groupsDN}`;
export const alice = { uid: "alice", password: "alice-Secret-1", name: "Alice Adams" };
export const bob = { uid: "bob", password: "bob-Secret-2", name: "Bob Brown" };

function which(bin) {
  for (const dir of ["/usr/sbin", "/usr/bin"]) {
    if (existsSync(join(dir, bin))) {
      return join(dir, bin);
    }
  }
  throw new Error(`${bin} is not installed: the directory tests need a real OpenLDAP server; run \`apt-get install -y slapd ldap-utils\``);
}

function freePort() {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.on("error", fail);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = /** @type {import("node:net").AddressInfo} */ (srv.address());
      srv.close(() => ok(port));
    });
  });
}

const person = (u) => {
  const [given, family] = u.name.split(" ");
  return `dn: uid=${u.uid},${peopleDN}
objectClass: inetOrgPerson
uid: ${u.uid}
cn: ${u.name}
givenName: ${given}
sn: ${family}
displayName: ${u.name}
userPassword: ${u.password}
`;
};

const seed = [
  `dn: ${baseDN}\nobjectClass: dcObject\nobjectClass: organization\no: Example\ndc: example\n`,
  `dn: ${peopleDN}\nobjectClass: organizationalUnit\nou: people\n`,
  `dn: ${groupsDN}\nobjectClass: organizationalUnit\nou: groups\n`,
  person(alice),
  person(bob),
  `dn: ${operatorsGroup}\nobjectClass: groupOfNames\ncn: operators\nmember: uid=alice,${peopleDN}\nmember: uid=bob,${peopleDN}\n`,
  `dn: cn=admins,${groupsDN}\nobjectClass: groupOfNames\ncn: admins\nmember: uid=alice,${peopleDN}\n`,
].join("\n");

const conf = (dir) => `include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include /etc/ldap/schema/nis.schema
pidfile  ${dir}/slapd.pid
argsfile ${dir}/slapd.args
modulepath /usr/lib/ldap
moduleload back_mdb
moduleload memberof
moduleload refint
database mdb
maxsize 104857600
suffix "${baseDN}"
rootdn "${adminDN}"
rootpw ${adminPassword}
directory ${dir}/db
index objectClass eq
index uid,cn,member,uniqueMember eq
overlay memberof
memberof-group-oc groupOfNames
memberof-member-ad member
memberof-memberof-ad memberOf
memberof-refint TRUE
access to attrs=userPassword by self write by anonymous auth by * none
access to * by * read
`;

/** startSlapd runs a seeded slapd; call stop() when done. */
export async function startSlapd() {
  const slapd = which("slapd");
  const ldapsearch = which("ldapsearch");
  const ldapadd = which("ldapadd");
  const dir = await mkdtemp(join(tmpdir(), "switchboard-web-slapd-"));
  await mkdir(join(dir, "db"), { mode: 0o700 });
  await writeFile(join(dir, "slapd.conf"), conf(dir));
  await writeFile(join(dir, "seed.ldif"), seed);
  const port = await freePort();
  const url = `ldap://127.0.0.1:${port}`;
  let log = "";
  const proc = spawn(slapd, ["-f", join(dir, "slapd.conf"), "-h", `${url}/`, "-d", "0"], { stdio: ["ignore", "pipe", "pipe"] });
  proc.stdout.on("data", (c) => (log += c));
  proc.stderr.on("data", (c) => (log += c));
  const exited = new Promise((ok) => proc.once("exit", ok));
  const stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill("SIGKILL");
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        await run(ldapsearch, ["-x", "-H", url, "-b", "", "-s", "base"]);
        break;
      } catch (err) {
        if (proc.exitCode !== null || Date.now() > deadline) {
          throw new Error(`slapd did not start: ${err}\n${log}`);
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    // Over LDAP rather than slapadd: the memberof overlay works on LDAP operations only.
    await run(ldapadd, ["-x", "-H", url, "-D", adminDN, "-w", adminPassword, "-f", join(dir, "seed.ldif")]);
  } catch (err) {
    await stop();
    throw err;
  }
  return { host: "127.0.0.1", port, stop };
}
