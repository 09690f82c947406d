# A small module evaluator for tests: collects the config definitions of a list of modules
# (functions of { config, lib, pkgs, ... }, attribute sets, `imports`), and merges them the way
# the NixOS module system does for options of these shapes: mkMerge and mkIf are discharged,
# mkOverride priorities are pushed down into attribute sets, the best priority wins, lists are
# concatenated, attribute sets are merged key by key, and two different values at the same
# best priority are a conflict. Option declarations are not modelled: every path is accepted.
{ lib, pkgs, modules, specialArgs ? { } }:

let
  inherit (builtins)
    attrNames concatMap filter foldl' head isAttrs isFunction isList isPath length listToAttrs map
    toJSON all;

  args = { inherit config lib pkgs; options = { }; } // specialArgs;

  collect = m:
    let
      v = if isPath m then import m else m;
      r = if isFunction v then v args else v;
      own = if r ? config || r ? options then r.config or { }
        else removeAttrs r [ "_file" "key" "imports" "disabledModules" "_class" ];
    in
    [ own ] ++ concatMap collect (r.imports or [ ]);

  isSet = v: isAttrs v && !(v ? _type) && !(lib.isDerivation v);

  # A definition as a list of { prio, value } with mkMerge/mkIf gone and overrides pushed into
  # attribute sets (prio null: no override seen, the module system's 100).
  discharge = prio: v:
    if isAttrs v && v ? _type then
      if v._type == "merge" then concatMap (discharge prio) v.contents
      else if v._type == "if" then (if v.condition then discharge prio v.content else [ ])
      else if v._type == "override" then discharge v.priority v.content
      else if v._type == "order" then discharge prio v.content
      else throw "test harness: unknown property ${v._type}"
    else if isSet v && prio != null then
      [{ prio = null; value = builtins.mapAttrs (_: lib.mkOverride prio) v; }]
    else
      [{ inherit prio; value = v; }];

  show = path: builtins.concatStringsSep "." path;

  # [] when nothing is defined at path, [ value ] otherwise.
  merge = path: defs:
    let
      flat = concatMap (discharge null) defs;
      sets = filter (d: isSet d.value) flat;
      leaves = filter (d: !(isSet d.value)) flat;
      prioOf = d: if d.prio == null then 100 else d.prio;
      best = foldl' (m: d: if prioOf d < m then prioOf d else m) 100000 leaves;
      kept = map (d: d.value) (filter (d: prioOf d == best) leaves);
      keys = builtins.attrNames (foldl' (acc: d: acc // d.value) { } sets);
      children = concatMap
        (k: map (value: { name = k; inherit value; })
          (merge (path ++ [ k ]) (map (d: d.value.${k}) (filter (d: d.value ? ${k}) sets))))
        keys;
    in
    if flat == [ ] then [ ]
    else if sets != [ ] && leaves != [ ] then
      throw "test harness: ${show path} is defined both as an attribute set and as a value"
    else if sets != [ ] then [ (listToAttrs children) ]
    else if all isList kept then [ (builtins.concatLists kept) ]
    else if all (v: toJSON v == toJSON (head kept)) kept then [ (head kept) ]
    else throw "test harness: conflicting definitions of ${show path}: ${toJSON kept}";

  config = head (merge [ ] (concatMap collect modules) ++ [ { } ]);
in
config
