print("swiftsm")
