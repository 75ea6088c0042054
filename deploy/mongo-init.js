// Run by the compose file's mongo-init container (mongosh --nodb): initiates the replica set rs0 of
// mongo1..3 if it is not initiated yet, waits for a primary, and creates the application's user if
// it does not exist yet. Safe to run on every `up`.
const fs = require("fs");
const secret = (name) => fs.readFileSync(`/run/secrets/${name}`, "utf8").replace(/[\r\n]+$/, "");

const members = ["mongo1:27017", "mongo2:27017", "mongo3:27017"];
const rootPassword = secret("mongo_root_password");

// The root user was created on mongo1 by the image's entrypoint; mongo2 and mongo3 copy it when
// they join.
let conn = new Mongo(`mongodb://root:${encodeURIComponent(rootPassword)}@mongo1:27017/admin?directConnection=true`);
let admin = conn.getDB("admin");
// mongosh throws on a failed command; either way the answer's codeName says why.
const command = (doc) => {
  try {
    return admin.runCommand(doc);
  } catch (e) {
    return { ok: 0, codeName: e.codeName, errmsg: e.message };
  }
};
const status = command({ replSetGetStatus: 1 });
if (!status.ok) {
  if (status.codeName !== "NotYetInitialized") throw new Error(`replSetGetStatus: ${tojson(status)}`);
  print("initiating replica set rs0");
  const res = command({
    replSetInitiate: {
      _id: "rs0",
      members: members.map((host, i) => ({ _id: i, host, priority: i === 0 ? 2 : 1 })),
    },
  });
  if (!res.ok && res.codeName !== "AlreadyInitialized") throw new Error(`replSetInitiate: ${tojson(res)}`);
}

// Wait (up to two minutes) for a primary, then work on it.
const deadline = Date.now() + 120 * 1000;
for (;;) {
  const hello = command({ hello: 1 });
  if (hello.isWritablePrimary || hello.primary) break;
  if (Date.now() > deadline) throw new Error("no primary after 120 s");
  sleep(1000);
}
conn = new Mongo(`mongodb://root:${encodeURIComponent(rootPassword)}@${members.join(",")}/admin?replicaSet=rs0`);
const app = conn.getDB("zhijianban");
if (!app.getUser("zhijianban")) {
  print("creating user zhijianban");
  // readWrite for the data, dbAdmin for the indexes and validators every process ensures at start-up.
  app.createUser({
    user: "zhijianban",
    pwd: secret("mongo_app_password"),
    roles: [{ role: "readWrite", db: "zhijianban" }, { role: "dbAdmin", db: "zhijianban" }],
  });
}
print("replica set rs0 ready");
