// Prints the canned answers of test/fixtures.js as JSON: [{method, path, body}], exactly as
// fixtures.install() puts them on the fake server, so tests/test_contract.py can check each
// against the response schema of the endpoint it stands for in /openapi.json.
const fx = require('../test/fixtures');

const answers = [];
fx.install({
  on(method, path, body) {
    answers.push({ method, path, body: typeof body === 'function' ? body({ method, path, query: {}, data: {}, header: {} }) : body });
  },
});
process.stdout.write(JSON.stringify(answers));
