// FabricSimulator
