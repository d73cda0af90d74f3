/*
 * course-glue: the numbers a book page glues into its prose, in JupyterLab too.
 *
 * The book's prose never types a number a cell computes: it writes {glue:text}`name:.3f` and
 * MyST-NB pastes the value that course_lib.pages.glue (or myst_nb.glue) stored in a cell
 * output. jupyterlab-myst renders MyST in JupyterLab but not MyST-NB's glue roles
 * (jupyter-book/jupyterlab-myst#165): it shows the role's text, "name:.3f". This plugin puts
 * the value there, formatted as MyST-NB formats it (myst_nb.core.variables.format_plain_text:
 * Python's literal_eval, then the format mini-language), once the cell that computes it has
 * run. Until then the role shows the value's name, marked as not computed yet.
 *
 * No build step: this file is itself the module-federation container that JupyterLab loads
 * for a prebuilt extension (package.json, jupyterlab._build): it registers
 * window._JUPYTERLAB["course-glue"] with init() and get(module). The plugin needs no shared
 * package, only the application object. get("./format") gives the formatter alone, so that
 * tests/test_jupyterlab.py can compare it with MyST-NB's on many values.
 */
(function () {
  'use strict';

  const NAME = 'course-glue';
  const ROLE = /\{glue(?::text)?\}`([^`]+)`/g;

  // ------------------------------------------------------------------ Python values

  /** Python's ast.literal_eval on a text/plain repr, for what a glued scalar can be. */
  function literalEval(text) {
    const t = text.trim();
    if (/^[-+]?\d+$/.test(t)) {
      return { kind: 'int', value: BigInt(t) };
    }
    if (/^[-+]?(\d+\.\d*|\.\d+|\d+)([eE][-+]?\d+)?$/.test(t)) {
      return { kind: 'float', value: Number(t) };
    }
    if (t === 'True' || t === 'False') {
      return { kind: 'bool', value: t === 'True' };
    }
    const quoted = /^(['"])([\s\S]*)\1$/.exec(t);
    if (quoted) {
      const escapes = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"' };
      const value = quoted[2].replace(/\\(.)/g, (all, c) => escapes[c] ?? all);
      return { kind: 'str', value };
    }
    return { kind: 'str', value: text }; // literal_eval fails: the text itself
  }

  /** Python's float(value). */
  function toFloat(v) {
    if (v.kind === 'float') {
      return v.value;
    }
    if (v.kind === 'int') {
      return Number(v.value);
    }
    if (v.kind === 'bool') {
      return v.value ? 1 : 0;
    }
    const s = v.value.trim().toLowerCase().replace(/_/g, '');
    const special = { inf: Infinity, '+inf': Infinity, '-inf': -Infinity, infinity: Infinity,
      '+infinity': Infinity, '-infinity': -Infinity, nan: NaN, '+nan': NaN, '-nan': NaN };
    if (s in special) {
      return special[s];
    }
    if (/^[-+]?(\d+\.\d*|\.\d+|\d+)(e[-+]?\d+)?$/.test(s)) {
      return Number(s);
    }
    throw new Error(`could not convert string to float: '${v.value}'`);
  }

  /** Python's int(value). */
  function toInt(v) {
    if (v.kind === 'int') {
      return v.value;
    }
    if (v.kind === 'bool') {
      return v.value ? 1n : 0n;
    }
    if (v.kind === 'float') {
      if (!Number.isFinite(v.value)) {
        throw new Error(`cannot convert float ${v.value} to integer`);
      }
      return BigInt(Math.trunc(v.value));
    }
    const s = v.value.trim().replace(/_/g, '');
    if (/^[-+]?\d+$/.test(s)) {
      return BigInt(s);
    }
    throw new Error(`invalid literal for int(): '${v.value}'`);
  }

  // ------------------------------------------------------------------ exact decimal digits

  /** x = m * 2**e exactly, for a finite x >= 0. */
  function decompose(x) {
    const view = new DataView(new ArrayBuffer(8));
    view.setFloat64(0, x);
    const hi = view.getUint32(0);
    const lo = view.getUint32(4);
    const exponentBits = (hi >>> 20) & 0x7ff;
    let m = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
    if (exponentBits === 0) {
      return [m, -1074];
    }
    m |= 1n << 52n;
    return [m, exponentBits - 1075];
  }

  /** round(x * 10**s), half to even, computed exactly as Python does (x >= 0). */
  function roundScaled(x, s) {
    const [m, e] = decompose(x);
    let num = m;
    let den = 1n;
    if (e >= 0) {
      num <<= BigInt(e);
    } else {
      den <<= BigInt(-e);
    }
    if (s >= 0) {
      num *= 10n ** BigInt(s);
    } else {
      den *= 10n ** BigInt(-s);
    }
    let q = num / den;
    const twice = 2n * (num % den);
    if (twice > den || (twice === den && q % 2n === 1n)) {
      q += 1n;
    }
    return q;
  }

  /** x >= 0 with p digits after the point. */
  function fixedDigits(x, p) {
    const digits = roundScaled(x, p).toString();
    if (p === 0) {
      return digits;
    }
    const padded = digits.padStart(p + 1, '0');
    return padded.slice(0, -p) + '.' + padded.slice(-p);
  }

  /** x > 0 rounded to p + 1 significant digits: [the digits, the decimal exponent]. */
  function scientificDigits(x, p) {
    let exponent = Math.floor(Math.log10(x));
    const low = 10n ** BigInt(p);
    for (;;) {
      const q = roundScaled(x, p - exponent);
      if (q >= low * 10n) {
        exponent += 1;
      } else if (q < low) {
        exponent -= 1;
      } else {
        return [q.toString(), exponent];
      }
    }
  }

  function exponentText(exponent) {
    return (exponent < 0 ? '-' : '+') + String(Math.abs(exponent)).padStart(2, '0');
  }

  function scientific(x, p, alternate) {
    const [digits, exponent] = x === 0 ? ['0'.repeat(p + 1), 0] : scientificDigits(x, p);
    const point = p > 0 || alternate ? '.' : '';
    return digits[0] + point + digits.slice(1) + 'e' + exponentText(exponent);
  }

  function stripZeros(text) {
    const [mantissa, exponent] = text.split('e');
    let m = mantissa;
    if (m.includes('.')) {
      m = m.replace(/0+$/, '').replace(/\.$/, '');
    }
    return exponent === undefined ? m : m + 'e' + exponent;
  }

  /** Python's 'g' (and the no-type form with a precision, which keeps a ".0"). */
  function general(x, p, alternate, noType) {
    const precision = p === 0 ? 1 : p;
    const exponent = x === 0 ? 0 : scientificDigits(x, precision - 1)[1];
    const fixedLimit = noType ? precision - 1 : precision;
    let text;
    if (exponent >= -4 && exponent < fixedLimit) {
      text = fixedDigits(x, precision - 1 - exponent);
    } else {
      text = scientific(x, precision - 1, alternate);
    }
    if (!alternate) {
      text = stripZeros(text);
    } else if (!/[.e]/.test(text)) {
      text += '.';
    }
    if (noType && !/[.e]/.test(text)) {
      text += '.0';
    }
    return text;
  }

  /** Python's repr(x) for a finite x >= 0: the shortest digits that read back as x. */
  function shortest(x) {
    if (x === 0) {
      return '0.0';
    }
    const [mantissa, exp] = x.toExponential().split('e');
    const digits = mantissa.replace('.', '');
    const exponent = Number(exp);
    if (exponent < -4 || exponent >= 16) {
      const rest = digits.slice(1);
      return digits[0] + (rest ? '.' + rest : '') + 'e' + exponentText(exponent);
    }
    if (exponent < 0) {
      return '0.' + '0'.repeat(-exponent - 1) + digits;
    }
    const whole = digits.slice(0, exponent + 1).padEnd(exponent + 1, '0');
    const fraction = digits.slice(exponent + 1);
    return whole + '.' + (fraction || '0');
  }

  /** Python's str(value). */
  function pyStr(v) {
    if (v.kind === 'bool') {
      return v.value ? 'True' : 'False';
    }
    if (v.kind === 'int') {
      return v.value.toString();
    }
    if (v.kind === 'float') {
      if (Number.isNaN(v.value)) {
        return 'nan';
      }
      if (!Number.isFinite(v.value)) {
        return v.value > 0 ? 'inf' : '-inf';
      }
      const negative = v.value < 0 || Object.is(v.value, -0);
      return (negative ? '-' : '') + shortest(Math.abs(v.value));
    }
    return v.value;
  }

  // ------------------------------------------------------------------ format(value, spec)

  const SPEC = /^(?:([\s\S])?([<>=^]))?([-+ ])?(z)?(#)?(0)?(\d+)?([,_])?(?:\.(\d+))?([bcdeEfFgGnosxX%])?$/;

  function group(integerDigits, separator, size) {
    let out = '';
    for (let i = integerDigits.length; i > 0; i -= size) {
      const start = Math.max(0, i - size);
      out = integerDigits.slice(start, i) + (out ? separator + out : '');
    }
    return out;
  }

  /** The digits of a number (no sign) as `type` writes them. */
  function numberBody(v, spec) {
    const type = spec.type;
    const alternate = spec.alternate;
    if (v.kind === 'int') {
      if (spec.precision !== undefined) {
        throw new Error('Precision not allowed in integer format specifier');
      }
      const magnitude = v.value < 0n ? -v.value : v.value;
      const bases = { b: [2, '0b'], o: [8, '0o'], x: [16, '0x'], X: [16, '0X'] };
      if (type in bases) {
        let digits = magnitude.toString(bases[type][0]);
        if (type === 'X') {
          digits = digits.toUpperCase();
        }
        if (spec.grouping === '_') {
          digits = group(digits, '_', 4);
        } else if (spec.grouping) {
          throw new Error(`Cannot specify ',' with '${type}'.`);
        }
        return (alternate ? bases[type][1] : '') + digits;
      }
      if (type === 'c') {
        return String.fromCodePoint(Number(magnitude));
      }
      const digits = magnitude.toString();
      return spec.grouping ? group(digits, spec.grouping, 3) : digits;
    }
    // '%' multiplies first, in floating point as Python does (so it may overflow to inf)
    const x = Math.abs(type === '%' ? v.value * 100 : v.value);
    const upper = type === 'E' || type === 'F' || type === 'G';
    if (!Number.isFinite(x)) {
      const text = Number.isNaN(x) ? 'nan' : 'inf';
      return (upper ? text.toUpperCase() : text) + (type === '%' ? '%' : '');
    }
    let text;
    const p = spec.precision;
    switch (type) {
      case 'e':
      case 'E':
        text = scientific(x, p ?? 6, alternate);
        break;
      case 'f':
      case 'F':
        text = fixedDigits(x, p ?? 6) + (alternate && p === 0 ? '.' : '');
        break;
      case '%':
        text = fixedDigits(x, p ?? 6) + (alternate && p === 0 ? '.' : '');
        break;
      case 'g':
      case 'G':
      case 'n':
        text = general(x, p ?? 6, alternate, false);
        break;
      default: // no type: repr, or 'g' that keeps a ".0" when given a precision
        text = p === undefined ? shortest(x) : general(x, p, alternate, true);
    }
    if (spec.grouping) {
      const [whole, ...rest] = text.split(/(?=[.e])/);
      text = group(whole, spec.grouping, 3) + rest.join('');
    }
    if (upper) {
      text = text.toUpperCase();
    }
    return text + (type === '%' ? '%' : '');
  }

  /** Python's format(value, spec) for an int, a float or a str. */
  function pyFormat(value, specText) {
    const match = SPEC.exec(specText);
    if (!match) {
      throw new Error(`Invalid format specifier '${specText}'`);
    }
    const [, fill, align, sign, zeroCoerce, alternate, zero, width, grouping, precision, type] =
      match;
    const spec = {
      fill: fill ?? (zero && !align ? '0' : ' '),
      align: align ?? (zero ? '=' : undefined),
      sign: sign ?? '-',
      alternate: !!alternate,
      width: width === undefined ? 0 : Number(width),
      grouping,
      precision: precision === undefined ? undefined : Number(precision),
      type
    };
    let v = value;
    if (v.kind === 'bool') {
      v = { kind: 'int', value: v.value ? 1n : 0n };
    }
    let body;
    let signText = '';
    if (v.kind === 'str') {
      if (type !== undefined && type !== 's') {
        throw new Error(`Unknown format code '${type}' for object of type 'str'`);
      }
      if (grouping) {
        throw new Error(`Cannot specify '${grouping}' with 's'.`);
      }
      body = spec.precision === undefined ? v.value : v.value.slice(0, spec.precision);
      spec.align = spec.align ?? '<';
    } else {
      if (v.kind === 'int' && 'eEfFgG%'.includes(type ?? '-')) {
        v = { kind: 'float', value: Number(v.value) };
      }
      if (v.kind === 'float' && 'bcdoxXs'.includes(type ?? '-')) {
        throw new Error(`Unknown format code '${type}' for object of type 'float'`);
      }
      body = numberBody(v, spec);
      let negative = v.kind === 'int' ? v.value < 0n : v.value < 0 || Object.is(v.value, -0);
      if (zeroCoerce && Number.isFinite(v.value) && !/[1-9]/.test(body)) {
        negative = false;
      }
      if (Number.isNaN(v.value)) {
        negative = false;
      }
      signText = negative ? '-' : spec.sign === '+' ? '+' : spec.sign === ' ' ? ' ' : '';
      spec.align = spec.align ?? '>';
    }
    const padding = spec.width - signText.length - body.length;
    if (padding <= 0) {
      return signText + body;
    }
    const fillText = n => spec.fill.repeat(n);
    switch (spec.align) {
      case '<':
        return signText + body + fillText(padding);
      case '^':
        return fillText(Math.floor(padding / 2)) + signText + body +
          fillText(padding - Math.floor(padding / 2));
      case '=':
        return signText + fillText(padding) + body;
      default:
        return fillText(padding) + signText + body;
    }
  }

  /**
   * What MyST-NB's {glue:text}`key:spec` shows for a value whose text/plain is `text`
   * (myst_nb.core.variables.format_plain_text). Throws where MyST-NB warns instead.
   */
  function formatGlue(text, specText) {
    let value = literalEval(text);
    if (specText === '') {
      return pyStr(value);
    }
    const type = specText[specText.length - 1];
    if (type === 's') {
      value = { kind: 'str', value: pyStr(value) };
    } else if ('bcdoxX'.includes(type)) {
      value = { kind: 'int', value: toInt(value) };
    } else if ('eEfFgGn%'.includes(type)) {
      value = { kind: 'float', value: toFloat(value) };
    }
    return pyFormat(value, specText);
  }

  /** The key and format of a role's content: "name:.3f" -> ["name", ".3f"], "name" -> "s". */
  function parseRole(content) {
    const cut = content.lastIndexOf(':');
    return cut < 0 ? [content, 's'] : [content.slice(0, cut), content.slice(cut + 1)];
  }

  // ------------------------------------------------------------------ the notebook

  /** name -> text/plain of every value glued by an output of this notebook. */
  function gluedValues(notebook) {
    const values = new Map();
    for (const cell of notebook.widgets) {
      const outputs = cell.model.type === 'code' ? cell.model.outputs : null;
      for (let i = 0; outputs && i < outputs.length; i++) {
        const output = outputs.get(i);
        const scrapbook = output.metadata && output.metadata.scrapbook;
        if (!scrapbook || typeof scrapbook.name !== 'string') {
          continue;
        }
        const plain = output.data[(scrapbook.mime_prefix || '') + 'text/plain'];
        if (plain !== undefined) {
          values.set(scrapbook.name, Array.isArray(plain) ? plain.join('') : String(plain));
        }
      }
    }
    return values;
  }

  const rolesBySource = new Map();

  /** The distinct role contents ("name:.3f") of a Markdown source. */
  function rolesOf(source) {
    let roles = rolesBySource.get(source);
    if (roles === undefined) {
      roles = new Set([...source.matchAll(ROLE)].map(m => m[1]));
      if (rolesBySource.size > 2000) {
        rolesBySource.clear();
      }
      rolesBySource.set(source, roles);
    }
    return roles;
  }

  /**
   * jupyterlab-myst renders an unknown role as a bare <span> holding the role's text: find
   * those of this cell's glue roles (and the ones this plugin has already filled in).
   */
  function glueSpans(cellNode, roles) {
    const found = [];
    for (const span of cellNode.querySelectorAll('.myst span')) {
      const content = span.dataset.courseGlue;
      if (content !== undefined) {
        if (span.textContent === span.dataset.courseGlueText) {
          found.push([span, content]);
          continue;
        }
        // the cell was rendered again, with other text in this span: start afresh
        for (const name of ['class', 'title', 'data-course-glue', 'data-course-glue-text']) {
          span.removeAttribute(name);
        }
      }
      if (span.attributes.length === 0 && span.childNodes.length === 1 &&
                 span.firstChild.nodeType === Node.TEXT_NODE && roles.has(span.textContent)) {
        found.push([span, span.textContent]);
      }
    }
    return found;
  }

  function show(span, content, values) {
    const [key, spec] = parseRole(content);
    const plain = values.get(key);
    let text = key;
    let title = `${key}: computed by a cell of this notebook; run the notebook to see its value`;
    let pending = true;
    if (plain !== undefined) {
      pending = false;
      title = `${key}, glued by a cell of this notebook`;
      try {
        text = formatGlue(plain, spec);
      } catch (error) {
        text = plain;
        title += ` (not formatted with "${spec}": ${error.message})`;
      }
    }
    if (span.dataset.courseGlue !== content) {
      span.dataset.courseGlue = content;
    }
    const className = pending ? 'course-glue course-glue-pending' : 'course-glue';
    if (span.className !== className) {
      span.className = className;
    }
    if (span.title !== title) {
      span.title = title;
    }
    // Change the text node React rendered rather than replace it, so that a later render of
    // the cell finds its own node.
    if (span.firstChild && span.firstChild.nodeType === Node.TEXT_NODE) {
      if (span.firstChild.nodeValue !== text) {
        span.firstChild.nodeValue = text;
      }
    } else if (span.textContent !== text) {
      span.textContent = text;
    }
    if (span.dataset.courseGlueText !== text) {
      span.dataset.courseGlueText = text;
    }
  }

  function fillNotebook(notebook) {
    let values = null;
    for (const cell of notebook.widgets) {
      if (cell.model.type !== 'markdown') {
        continue;
      }
      const roles = rolesOf(cell.model.sharedModel.getSource());
      if (roles.size === 0) {
        continue;
      }
      const spans = glueSpans(cell.node, roles);
      if (spans.length === 0) {
        continue;
      }
      values = values ?? gluedValues(notebook);
      for (const [span, content] of spans) {
        show(span, content, values);
      }
    }
  }

  const STYLE = `
.course-glue-pending {
  font-family: var(--jp-code-font-family);
  font-size: 0.9em;
  color: var(--jp-ui-font-color2);
  border-bottom: 1px dotted var(--jp-ui-font-color2);
  cursor: help;
}`;

  const plugin = {
    id: 'course-glue:plugin',
    description: 'Shows MyST-NB {glue:text} values in MyST Markdown cells, as the book does.',
    autoStart: true,
    activate: app => {
      const style = document.createElement('style');
      style.textContent = STYLE;
      document.head.appendChild(style);
      let scheduled = false;
      const fillAll = () => {
        scheduled = false;
        for (const widget of app.shell.widgets('main')) {
          const notebook = widget.content;
          if (notebook && notebook.widgets && notebook.model && widget.context) {
            try {
              fillNotebook(notebook);
            } catch (error) {
              console.warn(`${NAME}: ${error}`);
            }
          }
        }
      };
      // Outputs arriving and Markdown cells rendering both change the page: look again then,
      // at most every 200 ms.
      new MutationObserver(() => {
        if (!scheduled) {
          scheduled = true;
          setTimeout(fillAll, 200);
        }
      }).observe(document.body, { childList: true, subtree: true, characterData: true });
    }
  };

  const modules = {
    './extension': { __esModule: true, default: [plugin] },
    './format': { __esModule: true, formatGlue, parseRole }
  };
  const registry = (window._JUPYTERLAB = window._JUPYTERLAB || {});
  registry[NAME] = {
    init: () => Promise.resolve(),
    get: module =>
      module in modules
        ? Promise.resolve(() => modules[module])
        : Promise.reject(new Error(`${NAME} has no module ${module}`))
  };
})();
