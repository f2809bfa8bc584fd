// "Подписать ЭЦП" (G-21): the НУЦ and Tumar CSP tabs, and signing through NCALayer on the user's machine.
// NCALayer makes a detached CMS of the exact document the server issued; the key and its password stay in
// NCALayer. The CMS goes back in the form's file field, as if it had been uploaded.
(function () {
  'use strict';
  if (window.is2inSigning) { window.is2inSigning.init(document); return; }

  function selectTab(root, tab) {
    root.querySelectorAll('[data-tab]').forEach(function (other) {
      var selected = other === tab;
      other.setAttribute('aria-selected', selected ? 'true' : 'false');
      other.tabIndex = selected ? 0 : -1;
      other.classList.toggle('primary', selected);
      var panel = root.querySelector('#' + other.getAttribute('aria-controls'));
      if (panel) { panel.hidden = !selected; }
    });
  }

  // The vendored ncalayer-js-client, loaded once and only on pages that sign.
  var clientLoaded = null;
  function loadClient(src) {
    if (!clientLoaded) {
      clientLoaded = new Promise(function (resolve, reject) {
        if (window.NCALayerClient) { resolve(); return; }
        var script = document.createElement('script');
        script.src = src;
        script.onload = function () { resolve(); };
        script.onerror = function () { clientLoaded = null; reject(new Error('ncalayer-js-client не загрузился')); };
        document.head.appendChild(script);
      });
    }
    return clientLoaded;
  }

  function init(scope) {
    (scope || document).querySelectorAll('[data-signing-tabs]').forEach(function (root) {
      if (root.dataset.ready) { return; }
      root.dataset.ready = '1';
      var list = root.querySelector('[data-tab-list]');
      var tabs = Array.prototype.slice.call(root.querySelectorAll('[data-tab]'));
      list.hidden = false;
      loadClient(root.dataset.ncalayerClient);
      root.querySelectorAll('[data-ncalayer-controls]').forEach(function (controls) { controls.hidden = false; });
      var wanted = window.location.hash === '#sign-tumar' || root.querySelector('#sign-tumar .error') ? 1 : 0;
      selectTab(root, tabs[wanted]);
      tabs.forEach(function (tab, index) {
        tab.addEventListener('click', function () { selectTab(root, tab); });
        tab.addEventListener('keydown', function (event) {
          var step = event.key === 'ArrowRight' ? 1 : event.key === 'ArrowLeft' ? -1 : 0;
          if (!step) { return; }
          var next = tabs[(index + step + tabs.length) % tabs.length];
          selectTab(root, next);
          next.focus();
        });
      });
      root.querySelectorAll('[data-tab-link]').forEach(function (link) {
        link.addEventListener('click', function (event) {
          event.preventDefault();
          var tab = root.querySelector('#' + link.dataset.tabLink);
          selectTab(root, tab);
          tab.focus();
        });
      });
    });
  }

  function show(panel, text, isError) {
    var status = panel.querySelector('[data-ncalayer-status]');
    var error = panel.querySelector('[data-ncalayer-error]');
    if (isError) {
      status.textContent = '';
      panel.querySelector('[data-ncalayer-message]').textContent = text;
      error.hidden = false;
    } else {
      error.hidden = true;
      status.textContent = text;
    }
  }

  async function sign(button) {
    var panel = button.closest('[data-ncalayer]');
    var form = button.closest('form');
    button.disabled = true;
    var client = null;
    try {
      await loadClient(button.closest('[data-signing-tabs]').dataset.ncalayerClient);
    } catch (err) {
      show(panel, String(err.message || err), true);
      button.disabled = false;
      return;
    }
    client = new window.NCALayerClient(panel.dataset.ncalayer, false);
    try {
      show(panel, 'Подключение к NCALayer…', false);
      try {
        await client.connect();
      } catch (err) {
        show(panel, 'NCALayer не запущен или недоступен на этом компьютере. Запустите NCALayer и нажмите «Подписать» ещё раз.', true);
        return;
      }
      show(panel, 'Получение документа…', false);
      var response = await fetch(panel.dataset.document, { credentials: 'same-origin' });
      if (!response.ok) { throw new Error('Документ для подписи недоступен (' + response.status + ').'); }
      var documentBytes = await response.arrayBuffer();
      show(panel, 'Выберите ключ в окне NCALayer и введите пароль…', false);
      var purposes = panel.dataset.eku ? panel.dataset.eku.split(',') : [];
      var cms;
      try {
        cms = await client.basicsSignCMS(
          window.NCALayerClient.basicsStorageAll,
          documentBytes,
          window.NCALayerClient.basicsCMSParamsDetachedNoTSP,
          { extKeyUsageOids: purposes, chain: [] },
          'ru'
        );
      } catch (err) {
        show(panel, err && err.canceledByUser ? 'Подписание отменено.' : 'NCALayer не подписал документ: ' + (err && err.message ? err.message : err), true);
        return;
      }
      var transfer = new DataTransfer();
      transfer.items.add(new File([cms], 'signature.p7s.b64', { type: 'application/pkcs7-signature' }));
      form.querySelector('input[type=file][data-nca-target]').files = transfer.files;
      show(panel, 'Подпись получена, отправка на Биржу…', false);
      form.submit();
    } catch (err) {
      show(panel, String(err && err.message ? err.message : err), true);
    } finally {
      button.disabled = false;
      if (client.wsConnection) { try { client.wsConnection.close(); } catch (e) { /* already closed */ } }
    }
  }

  document.addEventListener('click', function (event) {
    var button = event.target.closest && event.target.closest('[data-ncalayer-sign]');
    if (button) { event.preventDefault(); sign(button); }
  });
  document.addEventListener('htmx:load', function (event) { init(event.target); });
  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', function () { init(document); });
  } else {
    init(document);
  }
  window.is2inSigning = { init: init };
})();
