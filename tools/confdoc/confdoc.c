/* rudder-confdoc — prints CONFIGURATION.md from the property table, so the document can
 * never drift from the code (a test compares the two). */
#include <stdio.h>
#include <string.h>
#include "ruddercore.h"

static const char *type_name(const rudder_property_t *p) {
    switch (p->type) {
    case RUDDER_PROP_STRING: return "string";
    case RUDDER_PROP_INT: return "integer";
    case RUDDER_PROP_BOOL: return "boolean";
    case RUDDER_PROP_ENUM: return "enum";
    default: return "mapping value (JSON)";
    }
}

static void print_section(const char *scope, const char *title, const char *intro) {
    size_t n;
    const rudder_property_t *props = rudder_properties(&n);
    printf("## %s\n\n%s\n\n", title, intro);
    printf("| setting | Python | type | default | allowed | description |\n");
    printf("|---|---|---|---|---|---|\n");
    for (size_t i = 0; i < n; i++) {
        const rudder_property_t *p = &props[i];
        if (strcmp(p->scope, scope) != 0) continue;
        char allowed[128] = "";
        if (p->type == RUDDER_PROP_INT) snprintf(allowed, sizeof allowed, "%lld … %lld", (long long)p->min, (long long)p->max);
        else if (p->type == RUDDER_PROP_ENUM) {
            snprintf(allowed, sizeof allowed, "%s", p->choices);
            for (char *c = allowed; *c; c++) if (*c == '|') *c = ',';
        } else if (p->type == RUDDER_PROP_BOOL) snprintf(allowed, sizeof allowed, "true, false");
        const char *def = p->def == NULL ? "**required**" : *p->def ? p->def : "(none)";
        printf("| `%s` | `%s` | %s | %s%s%s | %s | %s |\n", p->name, p->snake_name, type_name(p),
               p->def && *p->def ? "`" : "", def, p->def && *p->def ? "`" : "", allowed, p->doc);
    }
    printf("\n");
}

int main(void) {
    printf("# Configuration\n\n");
    printf("Generated from the property table in `core/src/conf/conf_table.c` by `rudder-confdoc`; "
           "a test fails when this file is stale (regenerate with `make confdoc`).\n\n");
    printf("Names are the walkerOS RudderStack destination's (camelCase). C takes them with "
           "`rudder_conf_set` / `rudder_conf_set_json`, Lua as a table, Python as snake_case keywords. "
           "An unknown name, a wrong type or a value out of range is an error that names the setting "
           "and what is allowed. `null` in JSON means \"use the default\", as in walkerOS.\n\n");
    print_section("client", "Client settings", "Used by the client and by the destination's client.");
    print_section("destination", "Destination settings",
                  "Used by the walkerOS destination (`config.settings`). Mapping values follow the walkerOS mapping language.");
    return 0;
}
