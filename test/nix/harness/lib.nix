# A small stand-in for the parts of nixpkgs `lib` the adapters use, so their tests run with a
# bare `nix-instantiate` and no nixpkgs. Each function follows nixpkgs' definition; the module
# properties (mkIf, mkMerge, mkOverride) produce the same `_type` values nixpkgs' do, and
# modules.nix below merges them by the module system's rules.
let
  inherit (builtins)
    attrNames concatMap concatStringsSep elem elemAt filter foldl' genList head isAttrs
    length listToAttrs map match replaceStrings split tail;

  mkOverride = priority: content: { _type = "override"; inherit priority content; };
  escapeShellArg = arg:
    let string = toString arg;
    in if match "[[:alnum:],._+:@%/-]+" string == null
      then "'${replaceStrings [ "'" ] [ "'\\''" ] string}'"
      else string;
  nameValuePair = name: value: { inherit name value; };
in
rec {
  # modules
  mkIf = condition: content: { _type = "if"; inherit condition content; };
  mkMerge = contents: { _type = "merge"; inherit contents; };
  inherit mkOverride;
  mkDefault = mkOverride 1000;
  mkForce = mkOverride 50;

  # attribute sets
  inherit nameValuePair;
  attrByPath = attrPath: default: set:
    let
      n = length attrPath;
      go = i: s: if i == n then s else
        let attr = elemAt attrPath i; in if s ? ${attr} then go (i + 1) s.${attr} else default;
    in go 0 set;
  setAttrByPath = attrPath: value:
    let
      n = length attrPath;
      at = i: if i == n then value else { ${elemAt attrPath i} = at (i + 1); };
    in at 0;
  mapAttrs = builtins.mapAttrs;
  mapAttrs' = f: set: listToAttrs (map (name: f name set.${name}) (attrNames set));
  filterAttrs = pred: set:
    listToAttrs (concatMap (name: let v = set.${name}; in if pred name v then [ (nameValuePair name v) ] else [ ]) (attrNames set));
  optionalAttrs = cond: as: if cond then as else { };
  isDerivation = value: value.type or null == "derivation";
  inherit listToAttrs;

  # lists
  optional = cond: elem: if cond then [ elem ] else [ ];
  optionals = cond: elems: if cond then elems else [ ];
  inherit elem elemAt head tail concatMap;
  any = builtins.any;
  imap0 = f: list: genList (n: f n (elemAt list n)) (length list);

  # strings
  inherit concatStringsSep escapeShellArg;
  escapeShellArgs = args: concatStringsSep " " (map escapeShellArg args);
  splitString = sep: s:
    filter builtins.isString (split (replaceStrings [ "." ] [ "\\." ] sep) s);

  # home-manager's lib.hm.dag (modules/lib/dag.nix)
  hm.dag.entryAfter = after: data: { inherit data after; before = [ ]; };
}
