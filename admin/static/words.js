/* The console scripts' words in the page language: T(msgid) is the catalogue's translation of the msgid, read
   from the JSON the console frame renders (#console-words, built by admin.words from the Babel catalogue);
   "{name}" in a word is replaced by vars.name. Flask-Admin's frame has no lang on <html>: it is set here. */
(function () {
  "use strict";
  var words = null;
  var frame = document.getElementById("console-words");
  if (frame && frame.getAttribute("data-lang")) { document.documentElement.lang = frame.getAttribute("data-lang"); }
  window.T = function (text, vars) {
    if (words === null) {
      var source = document.getElementById("console-words");
      try { words = source ? JSON.parse(source.textContent) : {}; } catch (err) { words = {}; }
    }
    var said = words[text] || text;
    Object.keys(vars || {}).forEach(function (key) { said = said.split("{" + key + "}").join(String(vars[key])); });
    return said;
  };
})();
