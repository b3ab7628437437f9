#!/usr/bin/env python3
"""Drives headless Chromium through the Chrome DevTools Protocol, with nothing but the standard library.

Used by the end-to-end tests of the web pages and by Scripts/screenshots. Reads a JSON list of steps on
stdin and prints a JSON list of results, one per step:

  {"goto": URL}                        load a page; result: {"url", "status"}
  {"fill": {SELECTOR: TEXT, ...}}      set form fields
  {"submit": SELECTOR}                 submit a form and wait for the next page; result: {"url"}
  {"text": true}                       result: the page's visible text
  {"audit": true}                      result: accessibility problems found on the page (a list)
  {"screenshot": PATH, "width": W, "height": H, "mobile": BOOL}   a full-page PNG

The browser runs with a fresh profile that is thrown away afterwards.
"""
import base64, json, os, re, shutil, signal, socket, struct, subprocess, sys, tempfile, time, urllib.request

AUDIT = r"""
(() => {
  const problems = [];
  const lang = document.documentElement.getAttribute('lang');
  if (!lang) problems.push('the html element has no lang');
  if (!document.title.trim()) problems.push('the page has no title');
  const h1 = document.querySelectorAll('h1').length;
  if (h1 !== 1) problems.push('the page has ' + h1 + ' h1 headings, not one');
  let last = 0;
  for (const h of document.querySelectorAll('h1,h2,h3,h4,h5,h6')) {
    const level = Number(h.tagName[1]);
    if (last && level > last + 1) problems.push('heading ' + h.tagName + ' "' + h.textContent.trim() + '" skips a level');
    last = level;
  }
  for (const input of document.querySelectorAll('input:not([type=hidden]), select, textarea')) {
    if (!input.labels || input.labels.length === 0) problems.push('a form field (' + (input.name || input.id) + ') has no label');
  }
  for (const img of document.querySelectorAll('img')) if (!img.hasAttribute('alt')) problems.push('an image has no alt text');
  for (const a of document.querySelectorAll('a')) if (!a.textContent.trim() && !a.getAttribute('aria-label')) problems.push('a link has no text');
  for (const b of document.querySelectorAll('button')) if (!b.textContent.trim()) problems.push('a button has no text');
  for (const t of document.querySelectorAll('table')) if (!t.querySelector('th')) problems.push('a table has no header cells');
  // Contrast of text against its background, for every element that holds text (WCAG AA: 4.5:1).
  const rgb = s => (s.match(/[0-9.]+/g) || []).map(Number);
  const lum = c => { const v = c.slice(0, 3).map(x => { x /= 255; return x <= 0.03928 ? x / 12.92 : Math.pow((x + 0.055) / 1.055, 2.4); });
                     return 0.2126 * v[0] + 0.7152 * v[1] + 0.0722 * v[2]; };
  const background = el => { for (let e = el; e; e = e.parentElement) { const c = rgb(getComputedStyle(e).backgroundColor); if (c.length >= 3 && (c.length < 4 || c[3] > 0)) return c; } return [255, 255, 255]; };
  const seen = new Set();
  for (const el of document.body.querySelectorAll('*')) {
    if (![...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim())) continue;
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden' || style.display === 'none' || el.closest('.skip')) continue;
    const a = lum(rgb(style.color)), b = lum(background(el));
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    const key = style.color + '/' + background(el).join(',');
    if (ratio < 4.5 && !seen.has(key)) { seen.add(key); problems.push('contrast ' + ratio.toFixed(2) + ':1 for "' + el.textContent.trim().slice(0, 30) + '"'); }
  }
  return problems;
})()
"""


class DevTools:
    def __init__(self, url):
        m = re.match(r'ws://([^:/]+):(\d+)(/.*)', url)
        self.sock = socket.create_connection((m.group(1), int(m.group(2))), timeout=60)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((f"GET {m.group(3)} HTTP/1.1\r\nHost: {m.group(1)}:{m.group(2)}\r\nUpgrade: websocket\r\n"
                           f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
        response = b''
        while b'\r\n\r\n' not in response:
            response += self.sock.recv(4096)
        if b' 101 ' not in response.split(b'\r\n')[0]:
            raise RuntimeError('no websocket: ' + response.decode(errors='replace'))
        self.buffer = response.split(b'\r\n\r\n', 1)[1]
        self.next_id = 0
        self.events = []

    def _read(self, n):
        while len(self.buffer) < n:
            chunk = self.sock.recv(1 << 16)
            if not chunk:
                raise RuntimeError('the browser closed the connection')
            self.buffer += chunk
        data, self.buffer = self.buffer[:n], self.buffer[n:]
        return data

    def _frame(self):
        first, second = self._read(2)
        length = second & 0x7f
        if length == 126:
            length = struct.unpack('>H', self._read(2))[0]
        elif length == 127:
            length = struct.unpack('>Q', self._read(8))[0]
        return first & 0x80, first & 0x0f, self._read(length)

    def _message(self):
        parts = []
        while True:
            final, opcode, payload = self._frame()
            if opcode == 9:  # ping: answer, keep reading
                self._send(payload, 10)
                continue
            parts.append(payload)
            if final:
                return json.loads(b''.join(parts))

    def _send(self, payload, opcode=1):
        mask = os.urandom(4)
        header = bytes([0x80 | opcode])
        n = len(payload)
        header += bytes([0x80 | n]) if n < 126 else (bytes([0x80 | 126]) + struct.pack('>H', n) if n < 65536 else bytes([0x80 | 127]) + struct.pack('>Q', n))
        self.sock.sendall(header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))

    def call(self, method, **params):
        self.next_id += 1
        self._send(json.dumps({'id': self.next_id, 'method': method, 'params': params}).encode())
        while True:
            message = self._message()
            if message.get('id') == self.next_id:
                if 'error' in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get('result', {})
            self.events.append(message)

    def wait_for(self, method, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            for i, event in enumerate(self.events):
                if event.get('method') == method:
                    return self.events.pop(i)
            self.events.append(self._message())
        raise RuntimeError('timed out waiting for ' + method)

    def evaluate(self, expression):
        result = self.call('Runtime.evaluate', expression=expression, returnByValue=True, awaitPromise=True)
        if 'exceptionDetails' in result:
            raise RuntimeError('script failed: ' + json.dumps(result['exceptionDetails']))
        return result['result'].get('value')


def chromium():
    for name in ('chromium', 'chromium-browser', 'google-chrome'):
        path = shutil.which(name)
        if path:
            return path
    sys.exit('chromium is not installed (apt-get install -y chromium)')


def main():
    steps = json.load(sys.stdin)
    profile = tempfile.mkdtemp(prefix='wysc-chromium-')
    process = subprocess.Popen(
        [chromium(), '--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run',
         '--disable-extensions', '--disable-background-networking', '--remote-debugging-port=0', '--remote-debugging-address=127.0.0.1',
         f'--user-data-dir={profile}', 'about:blank'],
        # Its shared-memory files (--disable-dev-shm-usage puts them in TMPDIR) go with the profile.
        env=dict(os.environ, TMPDIR=profile),
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        browser_url = None
        deadline = time.time() + 30
        while time.time() < deadline and not browser_url:
            line = process.stderr.readline()
            m = re.search(r'DevTools listening on (ws://\S+)', line)
            if m:
                browser_url = m.group(1)
        if not browser_url:
            sys.exit('chromium did not start')
        port = re.match(r'ws://[^:]+:(\d+)/', browser_url).group(1)
        targets = json.load(urllib.request.urlopen(f'http://127.0.0.1:{port}/json/list'))
        page = next(t for t in targets if t['type'] == 'page')
        tools = DevTools(page['webSocketDebuggerUrl'])
        tools.call('Page.enable')
        tools.call('Network.enable')
        results = []
        status = {}
        for step in steps:
            if 'goto' in step:
                tools.events.clear()
                tools.call('Page.navigate', url=step['goto'])
                tools.wait_for('Page.loadEventFired')
                responses = [e for e in tools.events if e.get('method') == 'Network.responseReceived' and e['params']['type'] == 'Document']
                results.append({'url': tools.evaluate('location.href'), 'status': responses[-1]['params']['response']['status'] if responses else None})
            elif 'fill' in step:
                for selector, value in step['fill'].items():
                    tools.evaluate(f'document.querySelector({json.dumps(selector)}).value = {json.dumps(value)}')
                results.append(None)
            elif 'submit' in step:
                tools.events.clear()
                tools.evaluate(f'document.querySelector({json.dumps(step["submit"])}).requestSubmit()')
                tools.wait_for('Page.loadEventFired')
                results.append({'url': tools.evaluate('location.href')})
            elif 'text' in step:
                results.append(tools.evaluate('document.body.innerText'))
            elif 'audit' in step:
                results.append(tools.evaluate(AUDIT))
            elif 'screenshot' in step:
                width, height = step.get('width', 1280), step.get('height', 800)
                tools.call('Emulation.setDeviceMetricsOverride', width=width, height=height, deviceScaleFactor=1, mobile=step.get('mobile', False))
                shot = tools.call('Page.captureScreenshot', format='png', captureBeyondViewport=True)
                with open(step['screenshot'], 'wb') as f:
                    f.write(base64.b64decode(shot['data']))
                tools.call('Emulation.clearDeviceMetricsOverride')
                results.append(step['screenshot'])
        json.dump(results, sys.stdout)
    finally:
        # Chromium's helpers (zygote, renderers) outlive its main process and keep writing to the
        # profile: the whole process group goes, then the profile.
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait()
        shutil.rmtree(profile, ignore_errors=True)


if __name__ == '__main__':
    main()
