// test/integration/docs_browser.mjs: drives /api/v1/docs in a real browser.
//
// Run by test_gateway_http.py:  node docs_browser.mjs BASE_URL API_KEY USER_ID
// Headless Chromium (Debian's /usr/bin/chromium, a fresh profile) driven by
// playwright-core loads the Swagger UI page, checks that it shows every
// operation of the OpenAPI document the gateway serves, authorises with the
// key, runs "Try it out" on GET .../auth/me and reads the 200 and the user.
// It also collects what the page reports on its console: a refusal by the
// Content-Security-Policy or a script error fails the run.  Prints one JSON
// object on stdout; exits 1 with the reason on failure.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

const [base, key, userId] = process.argv.slice(2);
if (!base || !key || !userId) {
	console.error('usage: node docs_browser.mjs BASE_URL API_KEY USER_ID');
	process.exit(2);
}
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
const TIMEOUT = 30000;

function fail(message) {
	throw new Error(message);
}

const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'campaigns-docs-chromium-'));
let context;
const report = { console: [], csp: [] };
try {
	// The operations the page must show: every method of every path.
	const doc = await (await fetch(`${base}/api/v1/openapi.json`)).json();
	const expected = new Set();
	for (const [p, item] of Object.entries(doc.paths)) {
		for (const m of Object.keys(item)) {
			if (METHODS.includes(m)) expected.add(`${m.toUpperCase()} ${p}`);
		}
	}
	const meEntry = [...expected].find((op) => /^GET \S*\/auth\/me$/.test(op));
	if (!meEntry) fail('the OpenAPI document has no GET .../auth/me');
	const mePath = meEntry.slice(4);

	context = await chromium.launchPersistentContext(profile, {
		executablePath: '/usr/bin/chromium',
		headless: true,
		args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
			'--disable-background-networking', '--disable-component-update', '--disable-sync',
			'--disable-dev-shm-usage'],
	});
	const page = context.pages()[0] || await context.newPage();
	page.on('console', (msg) => {
		if (msg.type() === 'error' || msg.type() === 'warning')
			report.console.push(`${msg.type()}: ${msg.text()}`);
	});
	page.on('pageerror', (err) => report.console.push(`pageerror: ${err.message}`));
	await page.addInitScript(() => {
		document.addEventListener('securitypolicyviolation', (e) => {
			window.__csp = window.__csp || [];
			window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`);
		});
	});

	const resp = await page.goto(`${base}/api/v1/docs`, { waitUntil: 'load', timeout: TIMEOUT });
	if (resp.status() !== 200) fail(`/api/v1/docs answered ${resp.status()}`);
	report.csp_header = resp.headers()['content-security-policy'] || null;

	// Every operation shown, and nothing else.
	await page.waitForSelector('.opblock .opblock-summary-path', { timeout: TIMEOUT });
	await page.waitForFunction((n) => document.querySelectorAll('.opblock').length >= n,
		expected.size, { timeout: TIMEOUT });
	const shown = await page.$$eval('.opblock', (blocks) => blocks.map((b) => {
		const method = b.querySelector('.opblock-summary-method').textContent.trim();
		const p = b.querySelector('.opblock-summary-path').getAttribute('data-path');
		return `${method} ${p}`;
	}));
	const shownSet = new Set(shown);
	const missing = [...expected].filter((op) => !shownSet.has(op));
	const extra = [...shownSet].filter((op) => !expected.has(op));
	report.operations = expected.size;
	report.shown = shownSet.size;
	if (missing.length || extra.length)
		fail(`operations differ: missing ${JSON.stringify(missing)}, extra ${JSON.stringify(extra)}`);

	// Authorise with the key.
	await page.click('.auth-wrapper button.authorize', { timeout: TIMEOUT });
	const modal = page.locator('.modal-ux');
	await modal.waitFor({ timeout: TIMEOUT });
	const input = modal.locator('input').first();
	await input.fill(key);
	await modal.locator('.auth-btn-wrapper button.authorize').first().click();
	await modal.locator('button.btn-done').first().click();
	await modal.waitFor({ state: 'detached', timeout: TIMEOUT });

	// Try it out: GET .../auth/me.
	const block = page.locator(`.opblock-get:has(.opblock-summary-path[data-path="${mePath}"])`).first();
	await block.locator('.opblock-summary-control').click();
	await block.locator('button.try-out__btn').click();
	await block.locator('button.execute').click();
	const status = block.locator('.live-responses-table .response .response-col_status').first();
	await status.waitFor({ timeout: TIMEOUT });
	report.status = (await status.textContent()).trim();
	const bodyText = (await block.locator('.live-responses-table .response-col_description pre').first()
		.textContent()).trim();
	report.request_url = (await block.locator('.request-url pre').first().textContent()).trim();
	if (report.status !== '200') fail(`GET ${mePath} answered ${report.status}: ${bodyText}`);
	const body = JSON.parse(bodyText);
	report.user_id = body.user_id;
	if (body.user_id !== userId) fail(`GET ${mePath} returned user ${body.user_id}, not ${userId}`);

	report.csp = await page.evaluate(() => window.__csp || []);
	if (report.csp.length) fail(`the Content-Security-Policy refused: ${report.csp.join('; ')}`);
	if (report.console.length) fail(`the page reported: ${report.console.join('; ')}`);
	console.log(JSON.stringify(report));
} catch (err) {
	console.log(JSON.stringify(report));
	console.error(err.message);
	process.exitCode = 1;
} finally {
	if (context) await context.close();
	fs.rmSync(profile, { recursive: true, force: true });
}
