# Evaluates the merge cases of test/merge-diff with the real NixOS module system.
# nix-instantiate --eval --strict --json --store dummy:// eval.nix --arg lib 'import <nixpkgs.lib>/lib' --arg cases ./cases.json
{ lib, cases }:
let
  inherit (lib) types mkOption;
  conv = v:
    if builtins.isAttrs v then
      (if v ? "$prio" then lib.mkOverride v."$prio" (conv v.v)
       else if v ? "$order" then lib.mkOrder v."$order" (conv v.v)
       else lib.mapAttrs (_: conv) v)
    else if builtins.isList v then map conv v
    else v;
  mkType = t:
    if t.t == "str" then types.str
    else if t.t == "int" then types.int
    else if t.t == "bool" then types.bool
    else if t.t == "lines" then types.lines
    else if t.t == "nullOr" then types.nullOr (mkType t.of)
    else if t.t == "listOf" then types.listOf (mkType t.of)
    else if t.t == "attrsOf" then types.attrsOf (mkType t.of)
    else types.submodule ({ options, ... }: {
      options = lib.mapAttrs (_: ft: mkOption { type = mkType ft; }) t.fields // {
        _defined = mkOption { type = types.raw; internal = true; };
      };
      # Which fields were defined: an undefined field is absent, as in the engine.
      config._defined = lib.mapAttrs (_: o: o.isDefined) (builtins.removeAttrs options [ "_defined" "_module" ]);
    });
  out = t: v:
    if t.t == "record" then
      lib.mapAttrs (n: ft: out ft v.${n}) (lib.filterAttrs (n: _: v._defined.${n}) t.fields)
    else if t.t == "listOf" then map (out t.of) v
    else if t.t == "attrsOf" then lib.mapAttrs (_: out t.of) v
    else if t.t == "nullOr" then (if v == null then null else out t.of v)
    else v;
  evalCase = c:
    let
      r = lib.evalModules {
        # lib.evalModules merges sibling modules last-first ([ a b ] gives b's list items before
        # a's): the list is reversed so that Nix's definition order is the case's order.
        modules = [ { options.v = mkOption { type = mkType c.type; }; } ]
          ++ lib.reverseList (lib.imap0 (i: d: { _file = "m${toString i}.nix"; config.v = conv d; }) c.defs);
      };
      v = out c.type r.config.v;
      res = builtins.tryEval (builtins.deepSeq v v);
    in if res.success then { ok = true; value = res.value; } else { ok = false; };
in map (c: { inherit (c) id; expected = evalCase c; }) (builtins.fromJSON (builtins.readFile cases))
