import TestSupport

/// sw1 (the SM on its port 0) - h1 on port 1, sw2 on port 3; sw2 port 2 - h2.
func twoSwitchesTwoHosts() -> FabricBuilder {
    var builder = FabricBuilder()
    builder.addSwitch("sw1", ports: 8)
    builder.addSwitch("sw2", ports: 8)
    builder.addCA("h1")
    builder.addCA("h2")
    builder.link("sw1", 1, "h1", 1)
    builder.link("sw1", 3, "sw2", 1)
    builder.link("sw2", 2, "h2", 1)
    return builder
}
