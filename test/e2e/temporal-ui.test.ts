// What an operator sees in the real Temporal Web UI, opened in headless Chromium (Debian's, installed by
// scripts/install-chromium.sh): the reconcile workflow of a DockerCluster is found by its search attribute,
// and its event history names each step by the summary the workflow gives its activity calls, and tells the
// container's creation (an activity) from the short calls (local activities).
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { type Browser, chromium, type Page } from 'playwright-core';
import { refOf, workflowIdOf } from '../../src/api/refs.js';
import { dockerClusterNameKey } from '../../src/api/search-attributes.js';
import { TestObjects } from '../support/objects.js';
import { type RunningProvider, startProvider } from '../support/provider.js';
import { repoRoot, stackEnv, uniqueName } from '../support/stack.js';

const chromiumPath = '/usr/bin/chromium';
const resultsDir = `${repoRoot}test-results`;
const screenshotPath = `${resultsDir}/temporal-ui.png`;
const failureScreenshotPath = `${resultsDir}/temporal-ui-failure.png`;
/** How many times the walk through the UI may start again after the host's network changed. */
const maxWalks = 4;

/** Activity type → the summary its call carries and its kind (activity or local activity), in a first provisioning. */
const namedSteps = [
  ['addFinalizer', 'Add finalizer dockercluster.infrastructure.cluster.x-k8s.io', 'local'],
  ['placeOnEngine', 'Place on a Docker engine', 'local'],
  // Docker calls run on the engine's own task queue, beside it: activities.
  ['createLoadBalancer', 'Create load balancer container', 'activity'],
  ['getLoadBalancerAddress', 'Get load balancer IP', 'activity'],
  ['updateStatus', 'Write status (Ready)', 'local'],
] as const;

describe('the Temporal Web UI, as an operator sees a DockerCluster reconcile', () => {
  const ui = stackEnv('TEMPORAL_UI_URL');
  let objects: TestObjects;
  let provider: RunningProvider | undefined;
  let browser: Browser | undefined;

  before(async () => {
    assert.ok(existsSync(chromiumPath), `${chromiumPath} is missing: run scripts/install-chromium.sh`);
    objects = await TestObjects.inFreshNamespace();
    provider = await startProvider({ namespace: objects.namespace });
  });

  after(async () => {
    await browser?.close();
    await provider?.stop();
  });

  /**
   * Walks the UI on a fresh page, as many times as the host's network changes under Chromium. Chromium drops
   * its connections, loopback ones too, with net::ERR_NETWORK_CHANGED whenever the host's addresses or
   * links change, and Docker's bridge and veth of a new container keep changing for seconds after it
   * starts (IPv6 link-local addresses come after duplicate-address detection). A user would reload; the
   * walk starts again on a new page, a second later. Any other failure fails at once.
   */
  async function asAnOperator(walk: (page: Page) => Promise<void>): Promise<void> {
    browser ??= await chromium.launch({
      executablePath: chromiumPath,
      headless: true,
      // As root, without a sandbox; the background-networking flags keep Chromium from dialling out,
      // which this machine's closed network refuses.
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    await mkdir(resultsDir, { recursive: true });
    for (let attempt = 1; ; attempt++) {
      // Tall enough that the event table, which scrolls inside the page, fits in the screenshot.
      const context = await browser.newContext({ viewport: { width: 1920, height: 2000 } });
      const page = await context.newPage();
      page.setDefaultTimeout(15_000);
      let changed: string | undefined;
      const networkChanged = new Promise<never>((_, reject) => {
        page.on('requestfailed', (request) => {
          if (request.failure()?.errorText !== 'net::ERR_NETWORK_CHANGED') return;
          changed ??= request.url();
          reject(new Error(`net::ERR_NETWORK_CHANGED on ${changed}`));
        });
      });
      try {
        await Promise.race([walk(page), networkChanged]);
        return;
      } catch (error) {
        if (changed !== undefined && attempt < maxWalks) {
          console.log(`# the host's network changed under Chromium during walk ${attempt} (${changed})`);
          await new Promise((resolve) => setTimeout(resolve, 1_000));
          continue;
        }
        await page.screenshot({ path: failureScreenshotPath, fullPage: true }).catch(() => {});
        throw error;
      } finally {
        await context.close();
      }
    }
  }

  it('lists the workflow by its DockerClusterName search attribute and shows the named steps in its history', {
    timeout: 90_000,
  }, async () => {
    const name = uniqueName('ui');
    const { dockerCluster: created } = await objects.createPair(name);
    await objects.untilReady(name);
    const workflowId = workflowIdOf(refOf(created));

    await asAnOperator(async (page) => {
      // The workflow list, filtered as an operator would by the search attribute.
      const query = `${dockerClusterNameKey.name}="${name}"`;
      await page.goto(`${ui}/namespaces/default/workflows?query=${encodeURIComponent(query)}`);
      const rows = page.getByTestId('workflows-summary-configurable-table-row');
      await rows.first().waitFor();
      // The title counts the matches ("1 Workflow"), as the server's count of the same query.
      await page.getByTestId('workflow-count').filter({ hasText: /^1$/ }).waitFor();
      assert.equal(await rows.count(), 1, 'the filtered list shows exactly one workflow');
      const link = rows.getByRole('link', { name: workflowId, exact: true });
      assert.equal(await link.count(), 1, `the one row is workflow ${workflowId}`);

      // Opened like a user: click it, then its Event History tab, in the compact view.
      await link.click();
      await page.waitForURL((url) => url.pathname.includes(`/workflows/${encodeURIComponent(workflowId)}/`));
      await page.getByRole('tab', { name: /^Event History/ }).click();
      await page.waitForURL((url) => url.pathname.endsWith('/history'));
      await page.getByRole('button', { name: 'Compact', exact: true }).click();

      // Each step's row carries its activity type and, beside it, the summary the workflow gave the call.
      const events = page.getByTestId('event-summary-row');
      for (const [activityType, summary, kind] of namedSteps) {
        const step = events.filter({ hasText: activityType }).filter({ hasText: summary });
        await step.first().waitFor();
        assert.ok(
          await step.first().getByText(summary, { exact: true }).isVisible(),
          `"${summary}" is shown`,
        );
        const shownAsLocal = ((await step.first().textContent()) ?? '').includes('Local Activity');
        assert.equal(shownAsLocal, kind === 'local', `${activityType} is shown as a ${kind} activity`);
      }

      await page.screenshot({ path: screenshotPath, fullPage: true });
    });
    console.log(`# screenshot: ${screenshotPath}`);

    // Leave no running workflow behind: deleting the object lets the workflow finish.
    await objects.delete(name);
    await objects.untilGone(name);
  });
});
