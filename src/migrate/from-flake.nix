# What `setup-mac migrate --from-flake` reads from an evaluated configuration (decision 0024).
#
# Applied with `nix eval --json <flake>#<kind>Configurations."<name>" --apply`, so it gets no
# `lib`: builtins only. Arguments: the flake's source store path (only definitions made by files
# under it are kept: upstream modules define these options too, and evaluating theirs would
# instantiate their packages), the level of the configuration ("darwin", "nixos" or "home"), and
# the configuration itself (anything with `options` and `config`, as `lib.evalModules` returns).
#
# Result: { definitions = [ { level; option = [ "home" "packages" ]; file; value; } ];
#           notes = [ { level; what; detail; } ]; }
# Values are made JSON-safe: derivations, functions, paths and strings with store context become
# `{ __setupMac = "package" | "function" | "path" | "store"; … }` instead of being forced;
# mkDefault/mkForce/mkOrder inside a value are unwrapped, mkIf/mkMerge inside it become
# `{ __setupMac = "property"; }`.
source: level: configuration:
let
  inherit (builtins)
    attrNames
    concatMap
    filter
    getAttr
    hasAttr
    isAttrs
    isFunction
    isList
    isPath
    isString
    map
    mapAttrs
    stringLength
    substring
    tryEval
    ;

  own = file: isString file && substring 0 (stringLength source + 1) file == "${source}/";

  # The attribute at `path` of `set`, or null.
  at =
    path: set:
    if path == [ ] then
      set
    else if isAttrs set && hasAttr (builtins.head path) set then
      at (builtins.tail path) (getAttr (builtins.head path) set)
    else
      null;

  safe =
    v:
    if isFunction v then
      { __setupMac = "function"; }
    else if isPath v then
      {
        __setupMac = "path";
        path = toString v;
      }
    else if isString v then
      if builtins.hasContext v then
        {
          __setupMac = "store";
          text = builtins.unsafeDiscardStringContext v;
        }
      else
        v
    else if isList v then
      map safe v
    else if isAttrs v then
      let
        type = v._type or null;
      in
      if (v.type or null) == "derivation" then
        {
          __setupMac = "package";
          name = v.name or null;
          pname = v.pname or null;
        }
      else if type == "override" || type == "order" then
        safe v.content
      # mkIf, mkMerge (and any other module-system wrapper) inside a value.
      else if type != null then
        {
          __setupMac = "property";
          property = type;
        }
      else
        mapAttrs (_: safe) v
    else
      v;

  # The own definitions of one option, tagged with where they go (and the home-manager user).
  definitionsOf =
    lvl: user: path: opt:
    map (
      def:
      {
        level = lvl;
        option = path;
        inherit (def) file;
        value = safe def.value;
      }
      // (if user == null then { } else { inherit user; })
    ) (filter (def: own def.file) (opt.definitionsWithLocations or [ ]));

  isOption = o: isAttrs o && (o._type or null) == "option";

  # Every option under `set` (an option tree), with its path.
  leaves =
    path: set:
    if isOption set then
      [
        {
          inherit path;
          opt = set;
        }
      ]
    else if isAttrs set then
      concatMap (n: leaves (path ++ [ n ]) (getAttr n set)) (attrNames set)
    else
      [ ];

  fixed = [
    [ "home" "packages" ]
    [ "home" "sessionVariables" ]
    [ "home" "file" ]
    [ "xdg" "configFile" ]
    [ "launchd" "agents" ]
    [ "launchd" "user" "agents" ]
    [ "systemd" "user" "services" ]
    [ "environment" "systemPackages" ]
  ];

  enabled =
    config: name:
    let
      r = tryEval ((at [ "programs" name "enable" ] config) == true);
    in
    r.success && r.value;

  read =
    lvl: user: options: config:
    concatMap (
      path:
      let
        opt = at path options;
      in
      if isOption opt then definitionsOf lvl user path opt else [ ]
    ) fixed
    ++ concatMap (
      name:
      concatMap (leaf: definitionsOf lvl user leaf.path leaf.opt) (
        leaves [ "programs" name ] (getAttr name options.programs)
      )
    ) (filter (enabled config) (attrNames (options.programs or { })));

  users = at [ "home-manager" "users" ] configuration.options;
  userConfigs = if isOption users then users.valueMeta.attrs or null else null;
  userNames = attrNames (configuration.config.home-manager.users or { });
in
{
  definitions =
    read level null configuration.options configuration.config
    ++ (
      if userConfigs == null then
        [ ]
      else
        concatMap (
          user:
          let
            c = userConfigs.${user}.configuration;
          in
          read "home" user c.options c.config
        ) (attrNames userConfigs)
    );
  notes =
    if isOption users && userConfigs == null && userNames != [ ] then
      [
        {
          inherit level;
          what = "home-manager.users";
          detail = "this nixpkgs lib does not expose the evaluated home-manager users (no valueMeta)";
        }
      ]
    else
      [ ];
}
